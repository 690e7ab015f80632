"""The SMS gateway: claims outbox rows, hands them to a transport, records the outcome.

It knows nothing of Flask views. The database is its queue.
"""
