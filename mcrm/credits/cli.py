"""`flask --app wsgi credit add --tenant SLUG N`: the operator tops up a shop's SMS credit."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from mcrm.credits.services import grant
from mcrm.db import db
from tenants.isolation import unscoped
from tenants.models import Tenant

credit_cli = AppGroup("credit", help="Shops' SMS credit.")


@credit_cli.command("add")
@click.option("--tenant", "slug", required=True, help="The shop's slug (see `tenant list`).")
@click.option("--note", default="", help="e.g. the invoice number.")
@click.argument("credits", type=int)
def add(slug, note, credits):
    """Top up a shop's SMS credit and print the new balance."""
    with unscoped():
        tenant = db.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            click.echo(f"Error: no shop with the slug {slug!r}.", err=True)
            sys.exit(1)
        try:
            entry = grant(tenant, credits, note=note)
        except ValueError as error:
            db.rollback()
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        db.commit()
    click.echo(f"{tenant.slug}: +{credits} credits, balance {entry.balance_after}")
