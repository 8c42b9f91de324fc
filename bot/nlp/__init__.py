"""spaCy pipeline of the helpdesk (entity ruler, redaction); see build_spacy.py."""
