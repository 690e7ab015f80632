"""The scheduler process (APScheduler 3): a few idempotent ticks with fixed ids.

Jobs live in memory and are re-added at every start with `replace_existing`, so restarting never
duplicates them; what is due lives in domain tables, not in the job store. Run exactly one.
"""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from mcrm.analytics.nightly import refresh_due_shops
from mcrm.db import job_session, utcnow
from mcrm.heartbeats import beat
from mcrm.promotions.ticks import run_due_promotions

BEAT_SECONDS = 30
# Each shop is refreshed once in its own night; the hourly tick finds the shops whose night has come.
RFM_TICK_MINUTES = 60
# A promotion scheduled for 10:00 starts within this many seconds of it.
PROMOTION_TICK_SECONDS = 15


def _heartbeat(app: Flask) -> None:
    with app.app_context(), job_session():
        beat("scheduler")


def _refresh_rfm_scores(app: Flask) -> None:
    with app.app_context(), job_session():
        refresh_due_shops()


def _run_due_promotions(app: Flask) -> None:
    with app.app_context(), job_session():
        run_due_promotions()


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
    scheduler.add_job(
        _refresh_rfm_scores,
        "interval",
        minutes=RFM_TICK_MINUTES,
        args=[app],
        id="rfm_scores",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
    )
    scheduler.add_job(
        _run_due_promotions,
        "interval",
        seconds=PROMOTION_TICK_SECONDS,
        args=[app],
        id="promotions",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
    )


def build_scheduler(app: Flask, scheduler_class: type[BaseScheduler]) -> BaseScheduler:
    scheduler = scheduler_class(timezone="UTC", job_defaults={"misfire_grace_time": 6 * 3600})
    add_jobs(scheduler, app)
    return scheduler
