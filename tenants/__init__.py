"""Shops (tenants), their users and roles, plans, and the one place that scopes queries to a shop."""
