"""The owner's segments (顾客分群): the builder with its live count, saved segments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("segments", __name__, url_prefix="/segments")
