"""Promotions: a message to a segment, now, later or on a repeat, and what it brought back."""
