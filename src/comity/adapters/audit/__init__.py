"""The tamper-evident audit log (RFC 9162 Merkle tree) stored in the control plane."""
