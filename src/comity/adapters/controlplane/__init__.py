"""The control plane: demands, assessments, accounts' metadata and the audit log; never content."""
