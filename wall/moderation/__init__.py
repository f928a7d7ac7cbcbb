"""Moderation: the photo state machine and the only code that changes a status."""
