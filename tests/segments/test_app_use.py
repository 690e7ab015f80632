"""Texting an app's keyword records that the member used it (the "used the app" condition)."""

from __future__ import annotations

from sqlalchemy import select

from mcrm.apps.models import AppKind, AppUse
from mcrm.db import db
from tenants.isolation import unscoped
from tests.apps.test_runtime import make_app
from tests.keywords.test_router import (
    member,
    shop,  # noqa: F401  (a fixture)
    text,
)


def _uses(app_id: int) -> list[tuple]:
    """(member_id, tenant_id, first_used_at, last_used_at) of the app's uses."""
    with unscoped():
        columns = (AppUse.member_id, AppUse.tenant_id, AppUse.first_used_at, AppUse.last_used_at)
        return db.execute(select(*columns).where(AppUse.app_id == app_id)).tuples().all()


def test_a_member_texting_an_app_is_recorded_once_with_the_last_time(shop):  # noqa: F811
    app_id = make_app(shop, "HI", AppKind.AUTO_REPLY, reply_text="Hello")
    text("HI")  # not a member yet: nothing to record
    assert _uses(app_id) == []
    text("ZC 王芳")
    text("hi there")
    joined = member()
    ((member_id, tenant_id, first_used, last_used),) = _uses(app_id)
    assert (member_id, tenant_id) == (joined.id, joined.tenant_id) and first_used == last_used
    text("hi again")
    ((_, _, first_again, last_again),) = _uses(app_id)
    assert first_again == first_used and last_again > last_used
