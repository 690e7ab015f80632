"""Tenant isolation, enforced in one place.

Every tenant-owned model inherits `TenantScoped`. The tenant is bound once per request or job
(`bind_tenant`, `unscoped`); an ORM hook adds `tenant_id = :bound` to every ORM SELECT, including
relationship loads. A query on a tenant-owned model with nothing bound raises instead of reading
every shop's rows. The hook does not cover INSERTs, raw SQL or objects already in the session,
so inserts set `tenant_id` explicitly and `get_or_404` checks the owner again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from flask import abort
from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, declared_attr, mapped_column, with_loader_criteria

from mcrm.db import db


class _Unscoped:
    def __repr__(self) -> str:
        return "UNSCOPED"


UNSCOPED = _Unscoped()
_scope: ContextVar[int | _Unscoped | None] = ContextVar("mcrm_tenant_scope", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried with no tenant bound and no explicit `unscoped()`."""


class TenantScoped:
    """Mixin for every model that belongs to one shop."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


def bind_tenant(tenant_id: int | None) -> None:
    """Scope the rest of this request or job to one shop (None: platform-wide, for admins)."""
    _scope.set(UNSCOPED if tenant_id is None else tenant_id)


def clear_scope() -> None:
    _scope.set(None)


def current_scope() -> int | _Unscoped | None:
    return _scope.get()


@contextmanager
def unscoped() -> Iterator[None]:
    """Read across shops on purpose: login look-ups, platform admin, scheduler ticks."""
    token = _scope.set(UNSCOPED)
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def scoped_to(tenant_id: int) -> Iterator[None]:
    """Work inside one shop for the duration of a block (jobs, CLI commands, tests)."""
    token = _scope.set(tenant_id)
    try:
        yield
    finally:
        _scope.reset(token)


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


@event.listens_for(Session, "do_orm_execute")
def _scope_orm_reads(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = _scope.get()
    if scope is UNSCOPED:
        return
    if scope is None:
        if _touches_tenant_tables(state):
            raise TenantScopeError("query on a tenant-owned table with no tenant bound")
        return
    state.statement = state.statement.options(
        with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == scope, include_aliases=True)
    )


T = TypeVar("T")


def get_or_404(model: type[T], object_id: int) -> T:
    """The object with this id in the bound shop, or 404 (never another shop's object)."""
    obj = db.get(model, object_id)
    scope = _scope.get()
    if obj is None:
        abort(404)
    if isinstance(obj, TenantScoped) and scope is not UNSCOPED and obj.tenant_id != scope:
        abort(404)
    return obj
