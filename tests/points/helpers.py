"""Members with points for the points tests."""

from decimal import Decimal

from mcrm.db import db
from mcrm.members.models import Source
from mcrm.members.services import create_member
from mcrm.points.services import adjust
from tenants.isolation import scoped_to
from tenants.models import Tenant


def member_with_points(app, shop, points: int = 0, phone: str = "13800138000", **rule):
    """A member of `shop` holding `points`, with the shop's earning rule set from `rule`."""
    with app.app_context(), scoped_to(shop.tenant.id):
        tenant = db.get(Tenant, shop.tenant.id)
        for name, value in rule.items():
            setattr(tenant, name, Decimal(str(value)) if name != "welcome_bonus" else value)
        member = create_member(tenant, phone=phone, source=Source.PORTAL, name="Li Lei")
        if points:
            adjust(tenant, member, points, note="opening balance")
        db.commit()
        return member.id
