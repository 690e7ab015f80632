"""The admin's gateway page: who is bound, the queue across shops, what is in flight, the sending rate."""

import datetime as dt
import re

import pytest

from mcrm.db import db, utcnow
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from sms_gateway.models import UnroutedMessage
from tenants.isolation import unscoped
from tests.admin.test_views import admin_client  # noqa: F401  (fixture)
from tests.conftest import log_in


def _message(shop, status, *, created=None, **fields):
    values = dict(
        tenant_id=shop.tenant.id,
        direction=Direction.OUT,
        kind=MessageKind.TRANSACTIONAL,
        phone="+8613800138000",
        shop_number="1069001001",
        body="【Shop】hi",
        status=status,
        created_at=created or utcnow(),
    )
    values.update(fields)
    return Message(**values)


def _number(page: str, cell_id: str) -> str:
    return re.search(rf'<td id="{cell_id}">([^<]*)</td>', page).group(1)


def test_the_gateway_page_counts_every_shops_messages(app, admin_client, shop_a, shop_b):  # noqa: F811
    now = utcnow()
    minutes = lambda n: now - dt.timedelta(minutes=n)  # noqa: E731
    with app.app_context(), unscoped():
        db.add_all(
            [
                ProcessHeartbeat(name="gateway@a:1", kind="gateway", detail="bound", beat_at=now),
                ProcessHeartbeat(
                    name="gateway@b:2", kind="gateway", detail="down: connection refused", beat_at=minutes(5)
                ),
                ProcessHeartbeat(name="scheduler@a:3", kind="scheduler", detail="", beat_at=now),
                # Waiting: two queued (one per shop) and one deferred whose time has come.
                _message(shop_a, MessageStatus.QUEUED),
                _message(shop_b, MessageStatus.QUEUED),
                _message(shop_a, MessageStatus.DEFERRED, send_after=minutes(1)),
                # Deferred to the end of quiet hours, still ahead.
                _message(shop_b, MessageStatus.DEFERRED, send_after=now + dt.timedelta(hours=8)),
                _message(shop_a, MessageStatus.SENDING),
                _message(shop_a, MessageStatus.UNKNOWN, error="the gateway stopped while sending"),
                _message(shop_b, MessageStatus.UNKNOWN, error="no answer"),
                # Sent 30 seconds, 30 minutes and 2 hours ago (whatever happened after).
                _message(shop_a, MessageStatus.DELIVERED, sent_at=now - dt.timedelta(seconds=30)),
                _message(shop_b, MessageStatus.SENT, sent_at=now - dt.timedelta(seconds=50)),
                _message(shop_a, MessageStatus.UNDELIVERED, sent_at=minutes(30)),
                _message(shop_a, MessageStatus.DELIVERED, sent_at=minutes(120), created=minutes(121)),
                # Refused by the SMSC in the last hour, and long ago.
                _message(shop_a, MessageStatus.FAILED, created=minutes(10), error="throttled"),
                _message(shop_b, MessageStatus.FAILED, created=minutes(300), send_after=minutes(20)),
                _message(shop_b, MessageStatus.FAILED, created=minutes(180)),
                # Inbound texts are not the gateway's queue.
                _message(shop_a, MessageStatus.RECEIVED, direction=Direction.IN, kind=None),
                UnroutedMessage(source="8613900139000", destination="1069009999", body="JF"),
                UnroutedMessage(source="8613900139001", destination="106900", body="hello"),
            ]
        )
        db.commit()
    page = admin_client.get("/admin/gateway").get_data(as_text=True)
    gateways = page.split('id="gateways"', 1)[1].split("</table>", 1)[0]
    assert "gateway@a:1" in gateways and "bound" in gateways and "Running" in gateways
    assert "gateway@b:2" in gateways and "down: connection refused" in gateways
    assert "Silent for over 2 minutes" in gateways and "scheduler@a:3" not in gateways
    numbers = {
        cell: _number(page, cell)
        for cell in ("queued", "deferred-later", "sending", "unknown", "sent-minute", "sent-hour", "failed-hour")
    }
    assert numbers == {
        "queued": "3",
        "deferred-later": "1",
        "sending": "1",
        "unknown": "2",
        "sent-minute": "2",
        "sent-hour": "3",
        "failed-hour": "2",
    }
    assert _number(page, "unrouted") == "2"
    assert "0.03 per second" in page  # 2 in the last minute
    assert "may have been sent" in page


def test_the_gateway_page_says_when_no_gateway_runs(admin_client):  # noqa: F811
    page = admin_client.get("/admin/gateway").get_data(as_text=True)
    assert "No gateway has reported yet" in page and '<td id="queued">0</td>' in page


def test_the_admin_finds_it_from_the_nav_and_the_health_page(admin_client):  # noqa: F811
    assert 'href="/admin/gateway"' in admin_client.get("/admin/health").get_data(as_text=True)


@pytest.mark.parametrize("login", ["owner-a@example.com", "staff-a@example.com"])
def test_shop_users_get_404(client, shop_a, login):
    log_in(client, login)
    assert client.get("/admin/gateway").status_code == 404
