"""Purchases and the points ledger: earn, redeem, adjust, reverse; rewards; the earning rule."""
