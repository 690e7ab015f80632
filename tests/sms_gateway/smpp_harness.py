"""Run the real gateway (Gateway + SmppTransport) against the test SMSC, in threads of the test process."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from sqlalchemy import func, select

from mcrm.db import db
from mcrm.messaging.models import Message, MessageStatus
from sms_gateway.inbound import store_pdus
from sms_gateway.runner import Gateway
from sms_gateway.smpp import SmppSettings, SmppTransport
from tenants.isolation import unscoped
from tests.smsc_peer import PASSWORD, SYSTEM_ID


def smpp_transport(app, port: int, **settings) -> SmppTransport:
    options = dict(host="127.0.0.1", port=port, system_id=SYSTEM_ID, password=PASSWORD) | settings

    def store(pdus):
        with app.app_context():
            return store_pdus(pdus, transport.events)

    transport = SmppTransport(SmppSettings(**options), store)
    return transport


@contextlib.contextmanager
def running_gateway(app, port: int, name: str = "gw-test", **settings):
    """A gateway loop on its own thread until the block ends (stopped cleanly)."""
    transport = smpp_transport(app, port, **settings)
    gateway = Gateway(transport, name=name, idle_seconds=0.05)
    stop = threading.Event()
    failures: list[BaseException] = []

    def loop():
        with app.app_context():
            try:
                gateway.run(stop)
            except BaseException as error:  # surfaced to the test below, with its traceback in the log
                logging.getLogger(__name__).exception("gateway failed")
                failures.append(error)

    thread = threading.Thread(target=loop, name=f"gateway-{name}", daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the gateway did not stop"
        assert not failures, failures


def statuses(app) -> dict[MessageStatus, int]:
    with app.app_context(), unscoped():
        rows = db.execute(
            select(Message.status, func.count()).where(Message.direction == "out").group_by(Message.status)
        )
        result = {status: count for status, count in rows}
        db.remove()
        return result


def wait_until(predicate, timeout: float = 30, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"not reached in {timeout} s; last: {predicate()!r}")
