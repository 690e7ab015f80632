"""The owner manages the shop's users: create, change roles, disable."""
