"""The merchant's home page: the shop at a glance."""
