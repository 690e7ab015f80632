"""Login throttling holds across gunicorn workers that share a Redis store."""

import os
import socket

import pytest
import redis

from tests.conftest import PASSWORD
from tests.live import BIN, FormClient, free_port, start, stop

REDIS_URL = "redis://127.0.0.1:6379/15"  # the tests' own Redis database


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def shared_storage():
    if not _redis_answers():
        if os.environ.get("MCRM_REQUIRE_REDIS") == "1":
            pytest.fail("MCRM_REQUIRE_REDIS=1 but no Redis answers on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


def _workers(database_url, storage, tmp_path, count=2):
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "shared-secret",
        "MCRM_RATELIMIT_STORAGE_URI": storage,
        "MCRM_INSTANCE_DIR": str(tmp_path / "instance"),
        "MCRM_ENV": "development",
    }
    workers = []
    for _ in range(count):
        port = free_port()
        process = start([str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"], env, port)
        workers.append((process, FormClient(f"http://127.0.0.1:{port}")))
    return workers


def _fail_ten_times_across(workers):
    for attempt in range(10):
        status, page = workers[attempt % 2][1].post_form(
            "/login", {"login": "owner-a@example.com", "password": "Wrong-Horse-Battery"}
        )
        assert status == 200 and "Wrong login or password." in page


def test_failures_on_two_workers_add_up_to_429(database_url, tmp_path, shop_a, shared_storage):
    workers = _workers(database_url, shared_storage, tmp_path)
    try:
        _fail_ten_times_across(workers)
        for _, client in workers:
            status, _ = client.post_form("/login", {"login": "owner-a@example.com", "password": PASSWORD})
            assert status == 429
    finally:
        for process, _ in workers:
            stop(process)


def test_per_process_storage_would_not_hold(database_url, tmp_path, shop_a):
    # The control: with memory storage each worker sees only its own five failures.
    workers = _workers(database_url, "memory://", tmp_path)
    try:
        _fail_ten_times_across(workers)
        status, _ = workers[0][1].post_form("/login", {"login": "owner-a@example.com", "password": PASSWORD})
        assert status == 302
    finally:
        for process, _ in workers:
            stop(process)
