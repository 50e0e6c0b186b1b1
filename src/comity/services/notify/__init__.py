"""Deadline warnings: what is about to fall due, sent once per channel."""
