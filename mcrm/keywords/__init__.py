"""What consumers text to a shop: normalising, the system keywords, and the router that answers."""
