"""The Rasa assistant: training data, custom actions and the hub input channel."""
