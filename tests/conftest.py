"""Fixtures: every test runs on SQLite and, when a server answers, on PostgreSQL; two shops each time.

PostgreSQL comes from MCRM_TEST_DATABASE_URL or a local server on 127.0.0.1:5432. With
MCRM_REQUIRE_POSTGRES=1 (CI) a missing server fails the run instead of skipping those tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mcrm import create_app, migrate
from mcrm.db import Base, db
from mcrm.extensions import limiter
from mcrm.shops import open_shop
from tenants.isolation import clear_scope, unscoped
from tenants.models import Role, Tenant, User
from tenants.services import add_staff

PASSWORD = "Corr3ct-Horse-Battery"
# The maintenance database: each run creates and drops a database of its own beside it.
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_url() -> str | None:
    url = os.environ.get("MCRM_TEST_DATABASE_URL")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return LOCAL_POSTGRES


POSTGRES_URL = _postgres_url()
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_configure(config):
    if os.environ.get("MCRM_REQUIRE_POSTGRES") == "1" and POSTGRES_URL is None:
        raise pytest.UsageError(
            "MCRM_REQUIRE_POSTGRES=1 but no PostgreSQL answers: set MCRM_TEST_DATABASE_URL "
            "or start a server on 127.0.0.1:5432."
        )


def pytest_collection_modifyitems(config, items):
    # Row locks and concurrency mean nothing on SQLite (it drops FOR UPDATE): such tests run on
    # PostgreSQL only, and are not collected for SQLite rather than skipped.
    selected, deselected = [], []
    for item in items:
        on_sqlite = getattr(item, "callspec", None) and item.callspec.params.get("database_url") == "sqlite"
        (deselected if on_sqlite and item.get_closest_marker("postgres_only") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots and other artefacts of this test run."""
    path = Path(os.environ.get("MCRM_TEST_OUTPUT", "test-output"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A fresh, migrated PostgreSQL database for this run, dropped at the end."""
    admin_url = make_url(POSTGRES_URL)
    name = f"mcrm_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    # Close this process's pooled connections to it, or PostgreSQL would refuse to drop it.
    from mcrm import db as db_module

    if db_module._engine is not None:
        db_module._engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, sqlite_template):
    """The URL of an empty, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "mcrm.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


class EnglishClient(FlaskClient):
    """A test client whose browser asks for English, so assertions can read English text."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def make_test_app(database_url: str, tmp_path: Path, **overrides):
    config = {
        "MCRM_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    os.environ["MCRM_INSTANCE_DIR"] = str(tmp_path / "instance")
    app = create_app(config)
    app.test_client_class = EnglishClient
    return app


@pytest.fixture
def app(database_url, tmp_path):
    """The app, with no context pushed: each test-client request gets its own, as in production
    (a shared app context would carry Flask-Login's cached user from one request to the next)."""
    app = make_test_app(database_url, tmp_path)
    limiter.reset()
    yield app
    db.remove()
    clear_scope()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (gettext, config)."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Shop:
    tenant: Tenant
    owner: User
    staff: User


def _make_shop(app, name: str, letter: str) -> Shop:
    with app.app_context(), unscoped():
        tenant = open_shop(  # as a real sign-up: with the trial SMS credit
            name=name,
            owner_name=f"Owner {letter}",
            owner_login=f"owner-{letter}@example.com",
            owner_password=PASSWORD,
            locale="en",
        )
        staff = add_staff(
            tenant, name=f"Staff {letter}", login=f"staff-{letter}@example.com", password=PASSWORD, role=Role.STAFF
        )
        db.commit()
        return Shop(tenant=tenant, owner=tenant.users[0], staff=staff)


@pytest.fixture
def shops(app) -> tuple[Shop, Shop]:
    """Two shops in every tenant-facing test (RapidPro's org and org2): A is the subject, B the bystander."""
    return _make_shop(app, "Shop A", "a"), _make_shop(app, "Shop B", "b")


@pytest.fixture
def shop_a(shops) -> Shop:
    return shops[0]


@pytest.fixture
def shop_b(shops) -> Shop:
    return shops[1]


def log_in(client, login: str, password: str = PASSWORD, path: str = "/login", **extra):
    return client.post(path, data={"login": login, "password": password, **extra})
