"""Imports every model module so the metadata is complete (for Alembic and the tests)."""

from mcrm.heartbeats import ProcessHeartbeat
from mcrm.messaging.models import Message
from tenants.models import Tenant, User

__all__ = ["Message", "ProcessHeartbeat", "Tenant", "User"]
