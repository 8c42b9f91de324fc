"""Custom Rasa graph components (MiniLM dense featurizer)."""
