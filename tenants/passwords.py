"""Password hashing (scrypt, memory-hard) and the strength rule."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 8
# zxcvbn score 0–1 means guessable in under about a million tries: common passwords and their variants.
MIN_SCORE = 2
# Checked against when the account is unknown, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and password_hash is not None


def password_problem(password: str, *hints: str) -> str | None:
    """Why this password is refused, or None; `hints` are the user's own details (name, email)."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    if zxcvbn(password[:72], user_inputs=[h for h in hints if h])["score"] < MIN_SCORE:
        return _("This password is too common or too easy to guess. Try a few unrelated words.")
    return None
