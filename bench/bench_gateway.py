"""The SMPP gateway against the test SMSC (tests/smsc) answering each submit after 20 ms, with a receipt
for every message, on PostgreSQL.

- outbox → delivered: messages per second from queued rows to `delivered` (response and receipt recorded),
  with window 1 and window 50;
- inbound: deliver_sm per second stored, routed and answered (reply queued);
- memory: the gateway process's resident size after 20k and after 100k messages;
- pacing: with MCRM_SMPP_TPS=100, the most submits the SMSC saw in any sliding second, and the share
  answered ESME_RTHROTTLED by an SMSC that throttles above 100 per second.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, insert, select

from bench.__main__ import Figure
from bench.database import bench_app
from mcrm.credits.services import grant
from mcrm.db import db
from mcrm.messaging.models import Direction, Message, MessageKind, MessageStatus
from mcrm.shops import open_shop
from sms_gateway.encoding import sms_shape
from tenants.isolation import unscoped
from tenants.numbers import sms_number
from tests.sms_gateway.smpp_harness import running_gateway
from tests.smsc_peer import SmscPeer

RESP_DELAY_MS = 20


def _fill_outbox(tenant_id: int, shop_number: str, count: int) -> None:
    """Queued rows written in bulk: the benchmark measures the gateway, not queue_sms."""
    body = "【Bench】Your points: 120"
    shape = sms_shape(body)
    rows = [
        dict(
            tenant_id=tenant_id,
            direction=Direction.OUT,
            kind=MessageKind.TRANSACTIONAL,
            phone=f"+86138{i:08d}",
            shop_number=shop_number,
            body=body,
            encoding=shape.encoding,
            parts=shape.count,
            status=MessageStatus.QUEUED,
        )
        for i in range(count)
    ]
    for start in range(0, count, 10_000):
        db.execute(insert(Message), rows[start : start + 10_000])
    db.commit()


def _count(status: MessageStatus) -> int:
    with unscoped():
        value = db.scalar(select(func.count()).select_from(Message).where(Message.status == status))
    db.remove()
    return value


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


def _shop(app):
    with app.app_context(), unscoped():
        tenant = open_shop(
            name="Bench", owner_name="B", owner_login=f"b{time.time_ns()}@example.com", owner_password="Bench-Pass-4321"
        )
        grant(tenant, 2_000_000)
        db.commit()
        ids = tenant.id, sms_number(tenant)
        db.remove()
    return ids


def outbox_rate(
    app, window: int, count: int, memory_marks=(), tps: float = 0, smsc_options=None
) -> tuple[float, dict[int, float], dict]:
    tenant_id, number = _shop(app)
    rss = {}
    with app.app_context():
        _fill_outbox(tenant_id, number, count)
        with SmscPeer(resp_delay_ms=RESP_DELAY_MS, quiet=True, **(smsc_options or {})) as smsc:
            started = time.perf_counter()
            with running_gateway(app, smsc.port, name=f"bench-{window}", window=window, tps=tps):
                marks = list(memory_marks)
                while (done := _count(MessageStatus.DELIVERED)) < count:
                    if marks and done >= marks[0]:
                        rss[marks.pop(0)] = _rss_mb()
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
            stats = smsc.stats()
    with app.app_context(), unscoped():
        db.execute(Message.__table__.delete())
        db.commit()
        db.remove()
    return count / elapsed, rss, stats


def inbound_rate(app, count: int) -> float:
    _, number = _shop(app)
    with (
        app.app_context(),
        SmscPeer(quiet=True) as smsc,
        running_gateway(app, smsc.port, name="bench-in", window=50),
    ):
        while not smsc.events("bind"):
            time.sleep(0.01)
        started = time.perf_counter()
        sender = threading.Thread(
            target=lambda: [smsc.send_mo(f"86139{i:08d}", number, text=f"JF {i}") for i in range(count)]
        )
        sender.start()
        while True:
            with unscoped():
                handled = db.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(Message.direction == Direction.IN, Message.handled_at.is_not(None))
                )
            db.remove()
            if handled >= count:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        sender.join()
    return count / elapsed


def run() -> list[Figure]:
    with bench_app() as app:
        slow, _, _ = outbox_rate(app, window=1, count=500)
        fast, _, _ = outbox_rate(app, window=50, count=20_000)
        inbound = inbound_rate(app, 5_000)
        _, rss, _ = outbox_rate(app, window=50, count=100_000, memory_marks=(20_000, 100_000 - 1_000))
        _, _, paced = outbox_rate(app, window=50, count=3_000, tps=100, smsc_options={"throttle_tps": 100})
    growth = rss[99_000] - rss[20_000]
    throttled_share = 100 * paced["throttled"] / max(1, paced["submits"])
    return [
        Figure("gateway outbox→delivered, window 1 (msg/s)", slow, 40, "/s", lower_is_better=False),
        Figure("gateway outbox→delivered, window 50 (msg/s)", fast, 1500, "/s", lower_is_better=False),
        Figure("gateway inbound stored+routed+answered (msg/s)", inbound, 500, "/s", lower_is_better=False),
        Figure("gateway memory growth 20k→99k messages (MB)", growth, 20, "MB"),
        Figure("TPS=100: most submits in any sliding second", paced["max_per_second"], 105, ""),
        Figure("TPS=100 vs SMSC limit 100/s: ESME_RTHROTTLED (%)", throttled_share, 0.1, "%"),
    ]
