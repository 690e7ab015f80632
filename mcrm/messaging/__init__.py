"""Messages in and out of M-CRM: the outbox, its states, and the one way to send."""
