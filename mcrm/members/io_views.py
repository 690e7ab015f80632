"""CSV import and export of members and purchases (owner only)."""

from flask import Blueprint

bp = Blueprint("member_io", __name__, url_prefix="/members")
