"""Shop settings: name, signature, timezone, language, quiet hours."""
