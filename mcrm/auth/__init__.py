"""Sign-up, login, logout, language and password."""
