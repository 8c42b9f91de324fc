"""The helpdesk hub: conversations, messages, tickets and the web pages around them."""

__version__ = "0.1.0"
