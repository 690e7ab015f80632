"""`flask --app wsgi token …`: the shops' API tokens, for operators."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from mcrm.api.models import ApiToken
from mcrm.api.services import TokenError, create_token, revoke_token, shop_tokens
from mcrm.db import db
from tenants.isolation import scoped_to
from tenants.models import Tenant

token_cli = AppGroup("token", help="The shops' API tokens for the POS API.")


def _tenant(slug: str) -> Tenant:
    tenant = db.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        click.echo(f"Error: no shop with the slug {slug!r}.", err=True)
        sys.exit(1)
    return tenant


@token_cli.command("create")
@click.option("--tenant", "slug", required=True, help="The shop's slug.")
@click.option("--name", default="POS", show_default=True, help="Which till or system uses the token.")
def token_create(slug, name):
    """Create a token and print it (it is shown this once and stored only as a hash)."""
    tenant = _tenant(slug)
    with scoped_to(tenant.id):
        try:
            _token, text = create_token(tenant, name)
        except TokenError as error:
            db.rollback()
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        db.commit()
    if not tenant.is_active:
        click.echo(f"Note: {tenant.slug} is suspended; the token works once the shop is active again.", err=True)
    click.echo(text)


@token_cli.command("list")
@click.option("--tenant", "slug", required=True, help="The shop's slug.")
def token_list(slug):
    """List a shop's tokens (their prefixes; the tokens themselves are not stored)."""
    tenant = _tenant(slug)
    with scoped_to(tenant.id):
        tokens = shop_tokens(tenant)
    click.echo(f"{'id':>5}  {'prefix':12}  {'status':7}  {'last used':16}  name")
    for t in tokens:
        status = "revoked" if t.revoked_at else "active"
        used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
        click.echo(f"{t.id:>5}  {t.prefix:12}  {status:7}  {used:16}  {t.name}")


@token_cli.command("revoke")
@click.option("--tenant", "slug", required=True, help="The shop's slug.")
@click.argument("token_id", type=int)
def token_revoke(slug, token_id):
    """Revoke one of the shop's tokens by its id (see `token list`)."""
    tenant = _tenant(slug)
    with scoped_to(tenant.id):
        token = db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.tenant_id == tenant.id))
        if token is None:
            click.echo(f"Error: {tenant.slug} has no token {token_id}.", err=True)
            sys.exit(1)
        if revoke_token(token):
            db.commit()
            click.echo(f"Token {token.prefix}… revoked.")
        else:
            click.echo(f"Token {token.prefix}… was already revoked.")
