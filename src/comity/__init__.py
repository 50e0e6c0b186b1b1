"""Comity: cross-border government demands for provider-held data, handled on the record."""

__version__ = "0.1.0"
