"""Complaints, suggestions and feedback that consumers text to a shop, and texts that ask to stop."""
