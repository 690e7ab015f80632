"""The scheduler: fixed job ids, so restarts never duplicate; the heartbeat tick records itself."""

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from mcrm.db import db
from mcrm.heartbeats import ProcessHeartbeat
from mcrm.scheduling import _heartbeat, add_jobs, build_scheduler


def test_restarting_ten_times_leaves_the_same_jobs(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        for _ in range(10):
            add_jobs(scheduler, app)
        assert [job.id for job in scheduler.get_jobs()] == [
            "heartbeat",
            "rfm_scores",
            "promotions",
            "care",
            "reminders",
        ]
    finally:
        scheduler.shutdown(wait=False)


def test_heartbeat_tick_records_the_scheduler(app):
    _heartbeat(app)
    _heartbeat(app)
    beats = db.scalars(select(ProcessHeartbeat)).all()
    assert [b.kind for b in beats] == ["scheduler"]
