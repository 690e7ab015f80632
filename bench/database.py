"""A fresh, migrated PostgreSQL database and an app on it, for one benchmark; dropped afterwards."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mcrm import create_app, migrate
from mcrm.db import get_engine

SERVER = os.environ.get("MCRM_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def bench_app() -> Iterator[Flask]:
    admin_url = make_url(SERVER)
    name = f"mcrm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        os.environ.setdefault("MCRM_INSTANCE_DIR", tempfile.mkdtemp(prefix="mcrm-bench-"))
        yield create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MCRM_ENV": "testing", "WTF_CSRF_ENABLED": False})
        get_engine().dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
