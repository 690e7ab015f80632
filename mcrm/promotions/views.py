"""The owner's promotions (信息发布): compose, preview, schedule, watch it go out, read the results."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("promotions", __name__, url_prefix="/promotions")
