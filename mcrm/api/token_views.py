"""The owner's API token pages in the portal."""

from flask import Blueprint

bp = Blueprint("api_tokens", __name__, url_prefix="/settings/api-tokens")
