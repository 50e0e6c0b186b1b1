"""Intake: validating, verifying and storing demands, and the ports intake needs."""
