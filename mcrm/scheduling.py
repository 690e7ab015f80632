"""The scheduler process (APScheduler 3): a few idempotent ticks with fixed ids.

Jobs live in memory and are re-added at every start with `replace_existing`, so restarting never
duplicates them; what is due lives in domain tables, not in the job store. Run exactly one.
"""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from mcrm.db import job_session, utcnow
from mcrm.heartbeats import beat

BEAT_SECONDS = 30


def _heartbeat(app: Flask) -> None:
    with app.app_context(), job_session():
        beat("scheduler")


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Register every tick; features add theirs here."""
    scheduler.add_job(
        _heartbeat,
        "interval",
        seconds=BEAT_SECONDS,
        args=[app],
        id="heartbeat",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
    )


def build_scheduler(app: Flask, scheduler_class: type[BaseScheduler]) -> BaseScheduler:
    scheduler = scheduler_class(timezone="UTC", job_defaults={"misfire_grace_time": 6 * 3600})
    add_jobs(scheduler, app)
    return scheduler
