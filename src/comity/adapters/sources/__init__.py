"""Adapters of the ``RecordSource`` port: IMAP (through a master user), PostgreSQL (named,
parameterised queries) and Maildir trees, configured per region in ``comity.toml``."""
