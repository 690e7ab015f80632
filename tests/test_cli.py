"""The command line an operator uses."""

from sqlalchemy import func, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.points.models import Purchase
from mcrm.points.services import ledger_mismatches
from tenants.isolation import unscoped
from tenants.models import Tenant
from tests.conftest import PASSWORD


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_tenant_create_prints_slug_and_extension_and_tenant_list_shows_it(app, shop_a):
    result = _run(
        app, "tenant", "create", "--name", "Tea House", "--owner-email", "tea@example.com", "--owner-password", PASSWORD
    )
    assert result.exit_code == 0
    assert "slug=tea-house extension=1003 number=1069001003" in result.output
    listing = _run(app, "tenant", "list").output
    assert "tea-house" in listing and "lao" not in listing and "Shop A" in listing and "Shop B" in listing


def test_tenant_create_with_a_taken_extension_fails_with_a_message(app, shop_a):
    result = app.test_cli_runner().invoke(
        args=[
            "tenant",
            "create",
            "--name",
            "X",
            "--extension",
            "1001",
            "--owner-email",
            "x@example.com",
            "--owner-password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 1 and "1001 is already in use" in result.output


def test_demo_is_created_only_on_an_empty_database(app, tmp_path):
    first = _run(app, "demo", "create")
    assert "owner: owner@demo.mcrm /" in first.output and "admin: admin@demo.mcrm /" in first.output
    assert (tmp_path / "instance" / "demo-logins.txt").read_text() in first.output
    second = _run(app, "demo", "create")
    assert "no demo created" in second.output
    with unscoped():
        assert db.scalar(select(func.count()).select_from(Tenant)) == 1
        assert db.scalar(select(func.count()).select_from(Member)) == 24
        assert db.scalar(select(func.count()).select_from(Purchase)) > 24
        assert ledger_mismatches() == []


def test_demo_login_printed_works(app, tmp_path):
    output = _run(app, "demo", "create").output
    password = output.split("owner: owner@demo.mcrm / ")[1].split()[0]
    client = app.test_client()
    assert client.post("/login", data={"login": "owner@demo.mcrm", "password": password}).status_code == 302
