"""SMS credit: the trial, top-ups, spending per part, refunds for failed sends, and who sees what."""

import pytest
from sqlalchemy import func, select

from mcrm.credits.models import CreditEntry
from mcrm.credits.services import NotEnoughCredit
from mcrm.db import db
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.messaging.services import queue_sms
from sms_gateway.events import Refused
from sms_gateway.outbox import claim, record
from tenants.isolation import unscoped
from tenants.models import Role, Tenant
from tenants.services import new_user
from tests.conftest import PASSWORD, log_in


def _credit(shop):
    with unscoped():
        db.expunge_all()
        return db.get(Tenant, shop.tenant.id).sms_credit


def _ledger_sum(shop):
    with unscoped():
        return db.scalar(select(func.sum(CreditEntry.credits)).where(CreditEntry.tenant_id == shop.tenant.id))


def test_a_new_shop_starts_with_the_trial_credit(client, shop_a):
    assert _credit(shop_a) == 100 == _ledger_sum(shop_a)
    client.post(
        "/signup",
        data={
            "shop_name": "Lily",
            "owner_name": "Lily",
            "login": "lily@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "locale": "en",
        },
    )
    assert 'id="credit-left"><a href="/settings/credit/">100<' in client.get("/").get_data(as_text=True)


def test_each_part_costs_a_credit_and_a_short_balance_queues_nothing(ctx, shop_a, shop_b):
    with unscoped():
        tenant = db.get(Tenant, shop_a.tenant.id)
        one = queue_sms(tenant, "+8613800138000", "a" * (70 - len(tenant.signature)), MessageKind.TRANSACTIONAL)
        # The shop's signature leads: it counts towards the 70 characters of one UCS-2 part.
        two = queue_sms(tenant, "+8613800138000", "欢" * (71 - len(tenant.signature)), MessageKind.TRANSACTIONAL)
        db.commit()
        assert (one.parts, one.encoding, two.parts, two.encoding) == (1, "UCS-2", 2, "UCS-2")
        assert tenant.sms_credit == 97
        with pytest.raises(NotEnoughCredit, match="this needs 98 and 97 are left"):
            queue_sms(tenant, "+8613800138000", "欢" * (67 * 98 - len(tenant.signature)), MessageKind.TRANSACTIONAL)
        db.commit()
        assert db.scalar(select(func.count()).select_from(Message)) == 2
    assert _credit(shop_a) == 97 == _ledger_sum(shop_a) and _credit(shop_b) == 100


def test_a_failed_send_gives_its_credit_back(ctx, shop_a, shop_b):
    with unscoped():
        queue_sms(db.get(Tenant, shop_a.tenant.id), "+8613800138000", "欢" * 80, MessageKind.TRANSACTIONAL)
        db.commit()
    assert _credit(shop_a) == 98
    [outbound] = claim("gw-test", 10)
    record([Refused(outbound.message_id, "INVDSTADR status 0x0000000b: Invalid destination address")])
    with unscoped():
        assert db.scalar(select(Message.status)) == MessageStatus.FAILED
        entries = select(CreditEntry).where(CreditEntry.tenant_id == shop_a.tenant.id).order_by(CreditEntry.id)
        reasons = [e.reason.value for e in db.scalars(entries)]
    assert reasons == ["trial", "spend", "refund"] and _credit(shop_a) == 100 == _ledger_sum(shop_a)


def test_the_admin_tops_up_on_the_shop_page_and_the_owner_sees_it(app, client, shop_a, shop_b):
    with app.app_context(), unscoped():
        new_user(None, name="Ops", login="ops@example.com", password=PASSWORD, role=Role.ADMIN)
        db.commit()
    log_in(client, "ops@example.com")
    client.post(f"/admin/shops/{shop_a.tenant.id}/credit", data={"credits": "500", "note": "invoice 42"})
    page = client.get(f"/admin/shops/{shop_a.tenant.id}").get_data(as_text=True)
    assert "+500" in page and "<title>Shop A · M-CRM</title>" in page and page.count('id="credit-left"') == 1
    refused = client.post(f"/admin/shops/{shop_a.tenant.id}/credit", data={"credits": "-5"}, follow_redirects=True)
    assert "Number must be between 1 and 10000000." in refused.get_data(as_text=True)
    assert _credit(shop_a) == 600 and _credit(shop_b) == 100
    owner = app.test_client()
    log_in(owner, "owner-a@example.com")
    page = owner.get("/settings/credit/").get_data(as_text=True)
    assert 'id="credit-left">600<' in page and "invoice 42" in page
    staff = app.test_client()
    log_in(staff, "staff-a@example.com")
    assert staff.get("/settings/credit/").status_code == 403
    assert shop_a.owner.id and client.post(f"/admin/shops/{shop_b.tenant.id}/credit").status_code == 302


def test_credit_add_from_the_command_line(app, shop_a):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["credit", "add", "--tenant", shop_a.tenant.slug, "--note", "invoice 7", "250"])
    assert result.exit_code == 0 and f"{shop_a.tenant.slug}: +250 credits, balance 350" in result.output
    assert runner.invoke(args=["credit", "add", "--tenant", "nope", "5"]).exit_code == 1
    assert runner.invoke(args=["credit", "add", "--tenant", shop_a.tenant.slug, "0"]).exit_code == 1
    assert _credit(shop_a) == 350 == _ledger_sum(shop_a)
