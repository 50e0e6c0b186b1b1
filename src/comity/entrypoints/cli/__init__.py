"""The ``comity`` command line (contract section 7)."""
