"""`flask serve`, what `make run` starts: web, scheduler and sandbox gateway in one process."""

import time

from sqlalchemy import create_engine, select

from mcrm.db import db
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.messaging.models import Message, MessageKind, MessageStatus
from mcrm.messaging.services import queue_sms
from tenants.isolation import unscoped
from tests.live import BIN, FormClient, free_port, start, stop


def _wait(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_serve_runs_web_scheduler_and_gateway_together(app, database_url, tmp_path, shop_a):
    port = free_port()
    env = {"DATABASE_URL": database_url, "MCRM_INSTANCE_DIR": str(tmp_path / "instance"), "MCRM_ENV": "development"}
    process = start([str(BIN / "flask"), "--app", "wsgi", "serve", "--port", str(port)], env, port)
    try:
        status, page = FormClient(f"http://127.0.0.1:{port}").get("/login")
        assert status == 200 and "M-CRM" in page
        engine = create_engine(database_url)

        def kinds():
            with engine.connect() as conn:
                return {row.kind for row in conn.execute(select(ProcessHeartbeat.kind))}

        assert _wait(lambda: kinds() == {"scheduler", "gateway"})
        with app.app_context(), unscoped():
            message = queue_sms(shop_a.tenant, "+8613800138000", "hi", MessageKind.TRANSACTIONAL)
            db.commit()
            message_id = message.id

        def delivered():
            with engine.connect() as conn:
                return (
                    conn.execute(select(Message.status).where(Message.id == message_id)).scalar()
                    == MessageStatus.DELIVERED
                )

        assert _wait(delivered)
        engine.dispose()
    finally:
        output = stop(process)
    assert "Traceback" not in output
