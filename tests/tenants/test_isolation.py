"""Tenant scoping: the ORM hook, the fail-closed default and get_or_404."""

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from mcrm.db import db
from mcrm.messaging.models import Message, MessageKind
from mcrm.messaging.services import queue_sms
from tenants.isolation import TenantScopeError, get_or_404, scoped_to, unscoped
from tenants.models import User


def test_scoped_queries_see_only_their_shop(shop_a, shop_b):
    with scoped_to(shop_a.tenant.id):
        logins = set(db.scalars(select(User.email)))
    assert logins == {"owner-a@example.com", "staff-a@example.com"}


def test_relationship_loads_are_scoped_too(ctx, shop_a, shop_b):
    with unscoped():
        queue_sms(shop_a.tenant, "+8613800138000", "hello A", MessageKind.TRANSACTIONAL)
        queue_sms(shop_b.tenant, "+8613800138001", "hello B", MessageKind.TRANSACTIONAL)
        db.commit()
    db.expunge_all()
    with scoped_to(shop_b.tenant.id):
        bodies = [m.body for m in db.scalars(select(Message))]
    assert len(bodies) == 1 and bodies[0].endswith("hello B")


def test_query_without_a_bound_shop_fails_closed(shop_a):
    db.expunge_all()
    with pytest.raises(TenantScopeError):
        db.scalars(select(User)).all()


def test_get_or_404_refuses_another_shops_object(ctx, shop_a, shop_b):
    with scoped_to(shop_a.tenant.id):
        assert get_or_404(User, shop_a.staff.id).email == "staff-a@example.com"
        # Even when the other shop's object is already in the session's identity map.
        with pytest.raises(NotFound):
            get_or_404(User, shop_b.staff.id)
    db.expunge_all()
    with scoped_to(shop_a.tenant.id), pytest.raises(NotFound):
        get_or_404(User, shop_b.staff.id)
