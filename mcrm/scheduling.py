"""The scheduler process (APScheduler 3): a few idempotent ticks with fixed ids.

Jobs live in memory and are re-added at every start with `replace_existing`, so restarting never
duplicates them; what is due lives in domain tables, not in the job store. Run exactly one.
"""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from mcrm.analytics.nightly import refresh_due_shops
from mcrm.care.ticks import run_due_greetings
from mcrm.db import job_session, utcnow
from mcrm.heartbeats import beat
from mcrm.promotions.ticks import run_due_promotions
from mcrm.reminders.ticks import run_due_reminders

BEAT_SECONDS = 30
# Each shop is refreshed once in its own night; the hourly tick finds the shops whose night has come.
RFM_TICK_MINUTES = 60
# A promotion scheduled for 10:00 starts within this many seconds of it.
PROMOTION_TICK_SECONDS = 15
# Greetings go out at a whole hour; within a minute of it is on time.
CARE_TICK_SECONDS = 60
# A reminder set for 09:00 is texted within this many seconds of it.
REMINDER_TICK_SECONDS = 30


def _beat() -> None:
    beat("scheduler")


# (fixed job id, what it does, every this many seconds), in the order they are registered.
TICKS = (
    ("heartbeat", _beat, BEAT_SECONDS),
    ("rfm_scores", refresh_due_shops, RFM_TICK_MINUTES * 60),
    ("promotions", run_due_promotions, PROMOTION_TICK_SECONDS),
    ("care", run_due_greetings, CARE_TICK_SECONDS),
    ("reminders", run_due_reminders, REMINDER_TICK_SECONDS),
)


def _run(app: Flask, tick: Callable[[], object]) -> None:
    # Each run has its own app context and session, like a request.
    with app.app_context(), job_session():
        tick()


def _heartbeat(app: Flask) -> None:
    _run(app, _beat)


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Register every tick; features add theirs to TICKS."""
    for job_id, tick, seconds in TICKS:
        scheduler.add_job(
            _run,
            "interval",
            seconds=seconds,
            args=[app, tick],
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            next_run_time=utcnow(),
        )


def build_scheduler(app: Flask, scheduler_class: type[BaseScheduler]) -> BaseScheduler:
    scheduler = scheduler_class(timezone="UTC", job_defaults={"misfire_grace_time": 6 * 3600})
    add_jobs(scheduler, app)
    return scheduler
