"""Reminders: the merchant's own appointments, texted to the shop's phones on time."""
