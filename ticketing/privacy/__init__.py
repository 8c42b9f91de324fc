"""Personal data: consent records, the audit log, anonymisation, export and erasure, retention.

Like the rest of the domain these modules take a database session and never commit;
``ticketing/services/privacy.py`` owns the transactions. Nothing here writes a customer's
e-mail or name into a log or into the audit log: targets are ids.
"""
