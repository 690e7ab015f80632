"""Command line: `flask --app wsgi …` (db, tenant, admin, demo, serve, gateway, scheduler)."""

from __future__ import annotations

import signal
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.serving import run_simple

from mcrm import migrate
from mcrm.db import db
from mcrm.demo import fill_demo_shop
from mcrm.shops import open_shop
from tenants.isolation import unscoped
from tenants.models import Role, Tenant
from tenants.numbers import sms_number
from tenants.services import TenantError, generate_password, new_user

db_cli = AppGroup("db", help="Database migrations.")
tenant_cli = AppGroup("tenant", help="Shops.")
admin_cli = AppGroup("admin", help="Platform admins.")
demo_cli = AppGroup("demo", help="The demo shop for a new installation.")
gateway_cli = AppGroup("gateway", help="The SMS gateway process.")
scheduler_cli = AppGroup("scheduler", help="The scheduler process (run exactly one).")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@db_cli.command("upgrade")
def db_upgrade():
    """Bring the database schema to the newest migration."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("Database is up to date.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message):
    """Write a new migration from the difference between the models and the database."""
    migrate.revision(current_app.config["DATABASE_URL"], message)


@db_cli.command("check")
def db_check():
    """Exit non-zero when the models and the migrations disagree."""
    migrate.check(current_app.config["DATABASE_URL"])
    click.echo("Models and migrations agree.")


@tenant_cli.command("create")
@click.option("--name", required=True)
@click.option("--slug")
@click.option("--extension", help="SMS extension digits; the next free one when omitted.")
@click.option("--owner-email", "owner_login", required=True, help="Owner's email (or mobile number).")
@click.option("--owner-password", required=True)
@click.option("--owner-name", help="Defaults to the shop's name.")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
def tenant_create(name, slug, extension, owner_login, owner_password, owner_name, locale):
    """Create a shop and its owner; prints the slug and the SMS extension."""
    try:
        tenant = open_shop(
            name=name,
            slug=slug,
            extension=extension,
            owner_name=owner_name or name,
            owner_login=owner_login,
            owner_password=owner_password,
            locale=locale,
        )
    except TenantError as error:
        db.rollback()
        _fail(str(error))
    db.commit()
    click.echo(f"slug={tenant.slug} extension={tenant.sms_extension} number={sms_number(tenant)}")


@tenant_cli.command("list")
def tenant_list():
    """List the shops."""
    with unscoped():
        tenants = db.scalars(select(Tenant).order_by(Tenant.id)).all()
    click.echo(f"{'id':>4}  {'slug':30}  {'extension':9}  {'status':9}  {'plan':8}  name")
    for t in tenants:
        click.echo(f"{t.id:>4}  {t.slug:30}  {t.sms_extension:9}  {t.status.value:9}  {t.plan.value:8}  {t.name}")


@admin_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Operator")
def admin_create(email, password, name):
    """Create a platform admin."""
    try:
        new_user(None, name=name, login=email, password=password, role=Role.ADMIN)
    except TenantError as error:
        db.rollback()
        _fail(str(error))
    db.commit()
    click.echo(f"Admin {email} created.")


@demo_cli.command("create")
def demo_create():
    """On an empty database only: a demo shop with members and a platform admin, with their logins printed."""
    with unscoped():
        if db.scalar(select(Tenant.id).limit(1)) is not None:
            click.echo("The database already has shops; no demo created.")
            return
    owner_password, admin_password = generate_password(), generate_password()
    tenant = open_shop(
        name="老王烧烤 Demo BBQ",
        owner_name="王老板",
        owner_login="owner@demo.mcrm",
        owner_password=owner_password,
        locale="zh_CN",
    )
    new_user(None, name="Operator", login="admin@demo.mcrm", password=admin_password, role=Role.ADMIN)
    fill_demo_shop(tenant)
    db.commit()
    logins = (
        f"Demo shop {tenant.name} (SMS number {sms_number(tenant)})\n"
        f"  owner: owner@demo.mcrm / {owner_password}   http://127.0.0.1:5000/\n"
        f"  admin: admin@demo.mcrm / {admin_password}   http://127.0.0.1:5000/admin/\n"
    )
    folder = current_app.config["MCRM_INSTANCE_DIR"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-logins.txt"
    path.write_text(logins)
    path.chmod(0o600)
    click.echo(logins + f"(kept in {path})")


def _start_gateway(app: Flask, stop: threading.Event) -> threading.Thread:
    from sms_gateway.runner import run_forever
    from sms_gateway.transports import make_transport

    transport = make_transport(app)

    def loop():
        with app.app_context():
            run_forever(transport, stop)

    thread = threading.Thread(target=loop, name="gateway", daemon=True)
    thread.start()
    return thread


@gateway_cli.command("run")
def gateway_run():
    """Send queued messages until interrupted."""
    stop = threading.Event()
    # A clean stop unbinds and hands unsent messages back to the queue.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = _start_gateway(current_app._get_current_object(), stop)
    click.echo(f"Gateway running with the {current_app.config['MCRM_SMS_TRANSPORT']} transport.")
    try:
        while thread.is_alive():
            thread.join(1)
    except KeyboardInterrupt:
        stop.set()
    stop.set()
    thread.join(15)


@scheduler_cli.command("run")
def scheduler_run():
    """Run the scheduler in the foreground (exactly one per installation)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from mcrm.scheduling import build_scheduler

    click.echo("Scheduler running.")
    build_scheduler(current_app._get_current_object(), BlockingScheduler).start()


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000)
def serve(host, port):
    """The embedded installation: web, scheduler and gateway in one process."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from mcrm.scheduling import build_scheduler

    app = current_app._get_current_object()
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start()
    stop = threading.Event()
    _start_gateway(app, stop)
    try:
        # Flask's CLI refuses app.run(); serve with Werkzeug directly, without the reloader
        # (it would start the scheduler and the gateway twice).
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        scheduler.shutdown(wait=False)


def register_cli(app: Flask) -> None:
    from mcrm.api.cli import token_cli
    from mcrm.credits.cli import credit_cli
    from mcrm.points.cli import points_cli

    for group in (
        db_cli,
        tenant_cli,
        admin_cli,
        demo_cli,
        gateway_cli,
        scheduler_cli,
        serve,
        points_cli,
        token_cli,
        credit_cli,
    ):
        app.cli.add_command(group)
