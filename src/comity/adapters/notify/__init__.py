"""Notifiers: e-mail through SMTP and signed JSON webhooks, configured in ``[notify]``."""
