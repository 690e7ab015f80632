"""The portal's points pages: purchases, redemptions, adjustments, reversals; the earning rule and rewards."""

from flask import Blueprint

bp = Blueprint("points", __name__)
