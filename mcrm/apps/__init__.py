"""Keyword apps: what a shop adds to its number without programming (应用管理)."""
