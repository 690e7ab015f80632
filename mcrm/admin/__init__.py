"""The platform operator's area: shops, plans, suspension, process health."""
