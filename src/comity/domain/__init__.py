"""The pure domain: value objects and rules with no I/O and no clock."""
