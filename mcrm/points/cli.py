"""`flask --app wsgi points verify`: every member's ledger must add up to their balance."""

import sys

import click
from flask.cli import AppGroup

from mcrm.points.services import ledger_mismatches
from tenants.isolation import unscoped

points_cli = AppGroup("points", help="The points ledger.")


@points_cli.command("verify")
def verify():
    """Exit non-zero, naming the members, when a ledger does not sum to the balance."""
    with unscoped():
        mismatches = ledger_mismatches()
    for tenant_id, member_id, phone, balance, total in mismatches:
        click.echo(f"shop {tenant_id} member {member_id} ({phone}): balance {balance}, ledger sums to {total}")
    if mismatches:
        click.echo(f"{len(mismatches)} member(s) do not add up.", err=True)
        sys.exit(1)
    click.echo("Every member's ledger adds up to their balance.")
