"""Keyword-app tests text the shop the way the router tests do: the same shop (welcome bonus 50)."""

from tests.keywords.test_router import shop  # noqa: F401  (a fixture)
