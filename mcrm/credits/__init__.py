"""SMS credit: what a shop may spend on messages, and the ledger of every top-up, spend and refund."""
