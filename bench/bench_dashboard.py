"""The dashboard and the RFM refresh for a shop with 200k members and 2M purchases, on PostgreSQL (issue 6).

Targets (issue 6): the dashboard page renders in under 300 ms (median of 20 warm requests, per period) and
the RFM refresh takes under 10 s.

The data is generated set-based (`INSERT … SELECT … FROM generate_series`, `random()` seeded with
`setseed`), into a fresh database:

- the big shop: 200,000 members who joined over the last two years (the 40,000 regulars in the first of
  them), with sources and about 5% opted out; 2,000,000 purchases between each buyer's joining and now,
  inserted in time order as a till writes them. 40% of purchases come from 4,000 heavy regulars, 50% from
  36,000 regulars and 10% from 120,000 occasional customers (many of them one-timers); 40,000 members never
  bought. About 1% of purchases are reversed. `total_spent`, `visit_count` and `last_visit_at` follow the
  purchases (one UPDATE … FROM aggregate);
- a second, small shop (5,000 members, 50,000 purchases) so that every tenant filter has rows to skip;
- 5,000 messages per shop over the last 60 days in every outcome, and open and closed feedback.
"""

from __future__ import annotations

import statistics
import time

from sqlalchemy import text

from bench.__main__ import Figure
from bench.database import bench_app
from mcrm.analytics.rfm import refresh_scores
from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Tenant
from tenants.services import create_tenant

PASSWORD = "Corr3ct-Horse-Battery"
PAGE_TARGET_MS = 300.0
REFRESH_TARGET_S = 10.0
WARM_UP, REQUESTS = 3, 20
PERIODS = ("today", "week", "month")
SHOPS = (  # (members, purchases, messages, feedback, phone prefix)
    (200_000, 2_000_000, 5_000, 400, "+86139"),
    (5_000, 50_000, 5_000, 100, "+86138"),
)

MEMBERS_SQL = """
INSERT INTO members (tenant_id, phone, phone_tail, name, gender, birthday_lunar, notes, joined_at, source,
                     consent_source, consent_at, opted_out_at, points_balance, total_spent, visit_count,
                     created_at)
SELECT :tenant, :prefix || lpad(n::text, 8, '0'), right(lpad(n::text, 8, '0'), 4),
       (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周'])[1 + n % 10]
         || (ARRAY['芳','伟','娜','敏','静','丽','强','磊','军','洋'])[1 + (n / 7) % 10],
       'unknown', false, '', joined, source, source, joined,
       CASE WHEN random() < 0.05 THEN joined + (now() - joined) * random() END, 0, 0, 0, joined
FROM (
    SELECT n,
           -- Regulars (the first fifth) joined in the first year; everyone else any time in the two.
           now() - CASE WHEN n <= :members / 5 THEN interval '365 days' + random() * interval '365 days'
                        ELSE random() * interval '730 days' END AS joined,
           (ARRAY['portal','portal','portal','wap','wap','sms','import','api'])[1 + floor(random() * 8)::int]
             AS source
    FROM generate_series(1, :members) AS n
) AS generated
"""

# Purchases pick a member by segment: 40% from the first 2% of members, 50% from the next 18%, 10% from
# the next 60%; the last 20% never buy. Each falls between the member's joining and now.
PURCHASES_SQL = """
INSERT INTO purchases (tenant_id, member_id, amount, occurred_at, channel, points_earned, reversed_at,
                       created_at)
SELECT :tenant, p.member_id, p.amount, p.occurred_at, p.channel, floor(p.amount)::int,
       CASE WHEN p.reverse < 0.01 THEN p.occurred_at + interval '1 hour' END, p.occurred_at
FROM (
    SELECT g.member_id, g.amount, g.channel, g.reverse,
           m.joined_at + (now() - m.joined_at) * g.at AS occurred_at
    FROM (
        SELECT :first_id + CASE WHEN s < 0.4 THEN floor(u * :members * 0.02)
                                WHEN s < 0.9 THEN floor(:members * 0.02 + u * :members * 0.18)
                                ELSE floor(:members * 0.2 + u * :members * 0.6) END::int AS member_id,
               round((8 + -ln(1 - a) * 60)::numeric, 2) AS amount,
               (ARRAY['portal','portal','portal','portal','wap','api'])[1 + floor(c * 6)::int] AS channel,
               r AS reverse, t AS at
        FROM (SELECT random() AS s, random() AS u, random() AS a, random() AS c, random() AS r, random() AS t
              FROM generate_series(1, :purchases)) AS draws
    ) AS g
    JOIN members AS m ON m.id = g.member_id
) AS p
ORDER BY p.occurred_at
"""

TOTALS_SQL = """
UPDATE members SET total_spent = t.spent, visit_count = t.visits, last_visit_at = t.last_at
FROM (SELECT member_id, sum(amount) AS spent, count(*) AS visits, max(occurred_at) AS last_at
      FROM purchases WHERE tenant_id = :tenant AND reversed_at IS NULL GROUP BY member_id) AS t
WHERE members.id = t.member_id
"""

MESSAGES_SQL = """
INSERT INTO messages (tenant_id, direction, kind, phone, shop_number, body, encoding, parts, status,
                      suppressed_reason, created_at, sent_at)
SELECT :tenant, direction, CASE WHEN direction = 'out' THEN kind END, phone, '10690000', body, 'UCS-2', 1,
       status, CASE WHEN status = 'suppressed' THEN 'opted_out' END, created_at,
       CASE WHEN status IN ('sent', 'delivered', 'undelivered') THEN created_at + interval '5 seconds' END
FROM (
    SELECT CASE WHEN random() < 0.15 THEN 'in' ELSE 'out' END AS direction,
           (ARRAY['reply','transactional','transactional','care','marketing'])[1 + floor(random() * 5)::int]
             AS kind,
           :prefix || lpad(floor(random() * :members)::text, 8, '0') AS phone,
           '【Bench】您的积分：120' AS body,
           (ARRAY['delivered','delivered','delivered','delivered','delivered','delivered','sent','undelivered',
                  'failed','expired','suppressed','queued'])[1 + floor(random() * 12)::int] AS status,
           now() - random() * interval '60 days' AS created_at
    FROM generate_series(1, :messages)
) AS generated
"""

FEEDBACK_SQL = """
INSERT INTO feedback (tenant_id, kind, status, phone, member_id, text, created_at)
SELECT :tenant, (ARRAY['feedback','complaint','suggestion','stop_request'])[1 + floor(random() * 4)::int],
       CASE WHEN random() < 0.3 THEN 'open' ELSE 'closed' END, m.phone, m.id, '咖啡太凉了',
       now() - random() * interval '30 days'
FROM members AS m WHERE m.tenant_id = :tenant ORDER BY random() LIMIT :feedback
"""


def _generate(tenant_id: int, members: int, purchases: int, messages: int, feedback: int, prefix: str) -> None:
    params = dict(tenant=tenant_id, members=members, purchases=purchases, messages=messages, prefix=prefix)
    db.execute(text(MEMBERS_SQL), params)
    params["first_id"] = db.scalar(text("SELECT min(id) FROM members WHERE tenant_id = :t"), {"t": tenant_id})
    db.execute(text(PURCHASES_SQL), params)
    db.execute(text(TOTALS_SQL), params)
    db.execute(text(MESSAGES_SQL), params)
    db.execute(text(FEEDBACK_SQL), params | {"feedback": feedback})


def _fill(app) -> tuple[int, float]:
    """The two shops; the big shop's id and how long generation took (s), ANALYZE included."""
    with app.app_context(), unscoped():
        shops = [
            create_tenant(
                name=f"Shop {n}", owner_name="Owner", owner_login=f"owner{n}@example.com", owner_password=PASSWORD
            )
            for n in (1, 2)
        ]
        db.commit()
        started = time.perf_counter()
        db.execute(text("SELECT setseed(0.42)"))
        for shop, spec in zip(shops, SHOPS, strict=True):
            _generate(shop.id, *spec)
        db.commit()
        elapsed = time.perf_counter() - started
        big = shops[0].id
        db.remove()
    # VACUUM cannot run in a transaction; it also sets the visibility map, as autovacuum would by now.
    with app.app_context():
        with db.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            started = time.perf_counter()
            conn.execute(text("VACUUM ANALYZE"))
            elapsed += time.perf_counter() - started
        db.remove()
    return big, elapsed


def _refresh(app, tenant_id: int) -> float:
    with app.app_context(), unscoped():
        tenant = db.get(Tenant, tenant_id)
        started = time.perf_counter()
        refresh_scores(tenant)
        db.commit()
        elapsed = time.perf_counter() - started
        db.remove()
    return elapsed


def _page_timings(client, period: str) -> list[float]:
    timings = []
    for attempt in range(WARM_UP + REQUESTS):
        started = time.perf_counter()
        response = client.get(f"/?period={period}")
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (period, response.status_code)
        if attempt >= WARM_UP:
            timings.append(elapsed)
    return timings


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def run() -> list[Figure]:
    figures = []
    with bench_app() as app:
        big, generation = _fill(app)
        print(f"dashboard bench: generated 2 shops (205k members, 2.05M purchases) in {generation:.1f} s")
        first, second = _refresh(app, big), _refresh(app, big)
        figures += [
            Figure("RFM refresh, 200k members, 2M purchases, 1st (s)", first, REFRESH_TARGET_S, "s"),
            Figure("RFM refresh, 200k members, 2M purchases, 2nd (s)", second, REFRESH_TARGET_S, "s"),
        ]
        client = app.test_client()
        response = client.post("/login", data={"login": "owner1@example.com", "password": PASSWORD})
        assert response.status_code in (302, 303), response.status_code
        for period in PERIODS:
            timings = _page_timings(client, period)
            figures += [
                Figure(
                    f"dashboard ?period={period}, median of {REQUESTS} (ms)",
                    statistics.median(timings),
                    PAGE_TARGET_MS,
                    "ms",
                ),
                Figure(f"dashboard ?period={period}, p90 of {REQUESTS} (ms)", _p90(timings), PAGE_TARGET_MS, "ms"),
            ]
    return figures
