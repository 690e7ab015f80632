"""A promotion's run materialised into the outbox for 100k and for 1M members, on PostgreSQL (issue 7).

Targets (issue 7): a 100,000-member audience is written into the outbox (set-based, personalised text) in
under 5 s; 1,000,000 members in under 60 s. Timed: `materialise_run` and its commit, as the scheduler's tick
runs it (audience query, a 10% hold-out, messages with {name} and {points}, the daily cap, the credit).

Each size gets its own shop, generated set-based (`generate_series`, `setseed`): Chinese and Latin names
(2% blank, so {name} falls back), points 0–5,000, about 5% opted out; then VACUUM ANALYZE. The statements
are timed one by one, so the report says where the time goes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import event, text

from bench.__main__ import Figure
from bench.database import bench_app
from mcrm.credits.services import grant
from mcrm.db import db, get_engine, utcnow
from mcrm.promotions.materialise import materialise_run
from mcrm.promotions.models import Promotion, PromotionStatus
from tenants.isolation import scoped_to, unscoped
from tenants.models import Tenant
from tenants.services import create_tenant

PASSWORD = "Corr3ct-Horse-Battery"
SIZES = ((100_000, 5.0, "+86139"), (1_000_000, 60.0, "+86138"))
BODY = "{name}您好！本周会员日全场8折，您的{points}积分可抵现，欢迎光临。"

MEMBERS_SQL = """
INSERT INTO members (tenant_id, phone, phone_tail, name, gender, birthday_lunar, notes, joined_at, source,
                     opted_out_at, points_balance, total_spent, visit_count, created_at)
SELECT :tenant, :prefix || lpad(n::text, 8, '0'), right(lpad(n::text, 8, '0'), 4),
       CASE WHEN n % 50 = 0 THEN ''
            WHEN n % 5 = 0 THEN (ARRAY['Ann','Bob','Chen Wei','Lucy','Tom'])[1 + n % 7 % 5]
            ELSE (ARRAY['王','李','张','刘','陈'])[1 + n % 5] || (ARRAY['芳','伟','娜','敏','静'])[1 + (n / 7) % 5] END,
       'unknown', false, '', now(), 'portal',
       CASE WHEN random() < 0.05 THEN now() END, floor(random() * 5000)::int, 0, 0, now()
FROM generate_series(1, :members) AS n
"""


class StatementTimer:
    """Wall time per statement kind (its first words), for the report."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info["bench_started"].pop()
        words = " ".join(statement.split()[:3])
        self.totals[words] += time.perf_counter() - started

    def __enter__(self) -> StatementTimer:
        event.listen(get_engine(), "before_cursor_execute", self._before)
        event.listen(get_engine(), "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc_info) -> None:
        event.remove(get_engine(), "before_cursor_execute", self._before)
        event.remove(get_engine(), "after_cursor_execute", self._after)


@dataclass(frozen=True)
class RunFigures:
    audience: int
    held_out: int
    messages: int
    credits: int
    statements: dict[str, float]  # seconds per statement kind

    def report(self) -> str:
        slowest = sorted(self.statements.items(), key=lambda item: -item[1])[:6]
        lines = [
            f"  audience {self.audience:,}, held out {self.held_out:,}, messages {self.messages:,}, "
            f"credits {self.credits:,}"
        ]
        lines += [f"  {seconds:7.2f} s  {words}" for words, seconds in slowest]
        return "\n".join(lines)


def _shop(app, number: int, members: int, prefix: str) -> tuple[int, float]:
    """A shop with `members` members and credit for all; its id and the generation time (s)."""
    with app.app_context(), unscoped():
        tenant = create_tenant(
            name=f"Shop {number}", owner_name="Owner", owner_login=f"owner{number}@example.com", owner_password=PASSWORD
        )
        db.flush()
        grant(tenant, 3 * members)
        started = time.perf_counter()
        db.execute(text("SELECT setseed(0.42)"))
        db.execute(text(MEMBERS_SQL), {"tenant": tenant.id, "members": members, "prefix": prefix})
        db.commit()
        tenant_id = tenant.id
        db.remove()
    with app.app_context():
        with db.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        db.remove()
    return tenant_id, time.perf_counter() - started


def _materialise(app, tenant_id: int) -> tuple[float, RunFigures]:
    with app.app_context(), scoped_to(tenant_id):
        tenant = db.get(Tenant, tenant_id)
        # Outside the shop's quiet hours whenever the bench runs: the messages are queued, not deferred.
        tenant.quiet_start, tenant.quiet_end = dt.time(3, 0), dt.time(3, 1)
        now = utcnow()
        promotion = Promotion(
            tenant_id=tenant_id,
            name="会员日",
            body=BODY,
            definition={"match": "all", "groups": []},
            status=PromotionStatus.SCHEDULED,
            send_at=now,
            next_run_at=now,
            holdout_percent=10,
        )
        db.add(promotion)
        db.commit()
        with StatementTimer() as timer:
            started = time.perf_counter()
            run = materialise_run(tenant, promotion, now, now)
            db.commit()
            elapsed = time.perf_counter() - started
        figures = RunFigures(run.audience, run.held_out, run.messages, run.credits, dict(timer.totals))
        db.remove()
    return elapsed, figures


def run() -> list[Figure]:
    figures = []
    with bench_app() as app:
        for number, (members, target, prefix) in enumerate(SIZES, start=1):
            tenant_id, generation = _shop(app, number, members, prefix)
            print(f"promotions bench: {members:,} members generated in {generation:.1f} s")
            elapsed, run_figures = _materialise(app, tenant_id)
            print(run_figures.report())
            figures.append(Figure(f"materialise a run, {members:,} members (s)", elapsed, target, "s"))
    return figures
