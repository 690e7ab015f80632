"""The ledger under concurrency, on PostgreSQL (SQLite serialises writers and drops FOR UPDATE)."""

import random
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.models import Channel, LedgerEntry
from mcrm.points.services import InsufficientPoints, record_purchase, redeem
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.conftest import make_test_app
from tests.points.helpers import member_with_points

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app(database_url, tmp_path):
    """The app with a connection for every thread, so all of them really run at once."""
    return make_test_app(database_url, tmp_path, DATABASE_POOL_SIZE=60)


def _in_parallel(app, tenant_id, jobs):
    """Run each job(tenant, member) in its own thread and session, all released at once; their outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def worker(i, job):
        with app.app_context(), scoped_to(tenant_id):
            try:
                barrier.wait(timeout=60)
                # Connections are taken after the barrier: with more jobs than connections, the rest
                # wait their turn in the pool rather than holding the barrier shut.
                outcomes[i] = job(db.get(Tenant, tenant_id))
                db.commit()
            except Exception as error:
                db.rollback()
                outcomes[i] = error
            finally:
                db.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _balance_and_sum(app, tenant_id, member_id):
    with app.app_context(), scoped_to(tenant_id):
        balance = db.get(Member, member_id).points_balance
        total = db.scalar(select(func.sum(LedgerEntry.points)).where(LedgerEntry.member_id == member_id))
        entries = db.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.member_id == member_id))
        db.remove()
        return balance, total, entries


def test_fifty_concurrent_redemptions_of_100_against_1000_points(app, shop_a, shop_b):
    member_id = member_with_points(app, shop_a, points=1000)
    tenant_id = shop_a.tenant.id

    def job(tenant):
        return redeem(tenant, db.get(Member, member_id), 100, note="coffee")

    outcomes = _in_parallel(app, tenant_id, [job] * 50)
    successes = [o for o in outcomes if not isinstance(o, Exception)]
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(successes) == 10 and len(failures) == 40, repr(failures[:3])
    assert all(isinstance(f, InsufficientPoints) for f in failures)
    assert _balance_and_sum(app, tenant_id, member_id)[:2] == (0, 0)


def test_five_hundred_concurrent_earns_and_redeems_keep_the_ledger_equal_to_the_balance(app, shop_a, shop_b):
    member_id = member_with_points(app, shop_a, points=300)
    tenant_id = shop_a.tenant.id
    rng = random.Random(7)

    def earn(amount):
        return lambda tenant: record_purchase(tenant, db.get(Member, member_id), amount, channel=Channel.API)

    def spend(points):
        return lambda tenant: redeem(tenant, db.get(Member, member_id), points, note="x")

    jobs = [earn(Decimal(rng.randint(1, 50))) if rng.random() < 0.5 else spend(rng.randint(1, 60)) for _ in range(500)]
    outcomes = _in_parallel(app, tenant_id, jobs)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, InsufficientPoints)]
    assert unexpected == []
    balance, total, entries = _balance_and_sum(app, tenant_id, member_id)
    assert balance == total and balance >= 0
    assert entries == 1 + sum(1 for o in outcomes if not isinstance(o, Exception))


def test_twenty_concurrent_repeats_of_one_idempotency_key_make_one_entry(app, shop_a, shop_b):
    member_id = member_with_points(app, shop_a)
    tenant_id = shop_a.tenant.id

    def job(tenant):
        return record_purchase(
            tenant, db.get(Member, member_id), Decimal("42"), channel=Channel.API, idempotency_key="till-7-receipt-1001"
        )

    outcomes = _in_parallel(app, tenant_id, [job] * 20)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert len({o.entry.id for o in outcomes}) == 1
    assert sum(1 for o in outcomes if not o.replayed) == 1
    assert _balance_and_sum(app, tenant_id, member_id) == (42, 42, 1)
