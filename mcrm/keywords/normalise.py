"""Text as people type it on a phone, made comparable: full-width folded to half-width (NFKC), case folded,
surrounding spaces and punctuation trimmed, inner runs of spaces made one."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def is_edge_noise(char: str) -> bool:
    category = unicodedata.category(char)
    return category.startswith("P") or category.startswith("Z") or category in ("Cc", "Cf", "So", "Sm")


def tidy(text: str) -> str:
    """NFKC, trimmed, single spaces: as typed, but comparable (case kept, for names and feedback)."""
    text = unicodedata.normalize("NFKC", text)
    start, end = 0, len(text)
    while start < end and is_edge_noise(text[start]):
        start += 1
    while end > start and is_edge_noise(text[end - 1]):
        end -= 1
    return _SPACES.sub(" ", text[start:end])


def normalise(text: str) -> str:
    """tidy() and case folded: the form keywords are matched in."""
    return tidy(text).casefold()
