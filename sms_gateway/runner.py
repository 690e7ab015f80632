"""The gateway loop: claim due messages, hand them to the transport, record what it reports.

This thread owns the database side; the transport has its own thread for the network. Events are drained
in batches so one transaction records hundreds of answers and receipts. A receipt that arrives before its
`submit_sm_resp` has been recorded is offered again for a while.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque

from mcrm.db import job_session
from mcrm.heartbeats import beat, process_name
from mcrm.messaging.inbound import route_inbound, unhandled_inbound
from sms_gateway.events import InboundStored, ReceiptArrived
from sms_gateway.outbox import claim, mark_orphans_unknown, record, release_own
from sms_gateway.transports import Transport

log = logging.getLogger(__name__)
BEAT_SECONDS = 15
ORPHAN_SWEEP_SECONDS = 60
RECEIPT_PATIENCE = 120.0  # seconds a receipt waits for its submit_sm_resp to be recorded
CLAIM_BATCH = 500


class Gateway:
    def __init__(self, transport: Transport, name: str | None = None, idle_seconds: float = 0.5):
        self.transport = transport
        self.name = name or process_name("gateway")
        self.idle_seconds = idle_seconds
        self._early_receipts: deque[tuple[float, ReceiptArrived]] = deque()
        self._last_beat = self._last_sweep = 0.0

    def start(self) -> None:
        """Beat before claiming anything, so other gateways see this one alive; settle what a previous run
        of this process left; answer inbound messages stored but never answered."""
        self._beat()
        release_own(self.name)
        mark_orphans_unknown()
        route_inbound(unhandled_inbound())
        self.transport.start()

    def step(self) -> int:
        """One turn: record what the transport reported, then hand it more work. Returns work done."""
        done = self._record(self._drain(timeout=0.0))
        room = self.transport.room()
        if room > 0:
            batch = claim(self.name, min(room, CLAIM_BATCH))
            for outbound in batch:
                self.transport.submit(outbound)
            done += len(batch)
        now = time.monotonic()
        if now - self._last_beat >= BEAT_SECONDS:
            self._beat()
        if now - self._last_sweep >= ORPHAN_SWEEP_SECONDS:
            self._last_sweep = now
            mark_orphans_unknown()
        return done

    def run(self, stop: threading.Event) -> None:
        self.start()
        try:
            while not stop.is_set():
                try:
                    done = self.step()
                except Exception:
                    log.exception("gateway step failed; retrying")
                    done = 0
                    stop.wait(1.0)
                if not done:
                    # Nothing to do: wait for the transport to report, or the idle interval to pass.
                    self._record(self._drain(timeout=self.idle_seconds))
        finally:
            self.transport.stop()
            # What the transport reported while stopping (answers, returned messages) is recorded; a
            # receipt still waiting for its response is dropped and its message stays `sent`.
            self._record(self._drain(timeout=0.0))

    def _drain(self, timeout: float, limit: int = 2000) -> list:
        events = self._due_receipts()
        try:
            events.append(self.transport.events.get(timeout=timeout) if timeout else self.transport.events.get_nowait())
            while len(events) < limit:
                events.append(self.transport.events.get_nowait())
        except queue.Empty:
            pass
        return events

    def _due_receipts(self) -> list:
        # Early receipts are retried once anything new was recorded; each is kept for RECEIPT_PATIENCE.
        now = time.monotonic()
        while self._early_receipts and now - self._early_receipts[0][0] > RECEIPT_PATIENCE:
            _, event = self._early_receipts.popleft()
            log.warning("receipt for unknown SMSC id %s dropped", event.receipt.smsc_id)
        return [event for _, event in self._early_receipts]

    def _record(self, events: list) -> int:
        if not events:
            return 0
        retried = {id(event) for _, event in self._early_receipts}
        first_seen = {id(event): at for at, event in self._early_receipts}
        fresh = [e for e in events if id(e) not in retried]
        if not fresh:
            return 0  # only old receipts: wait until something new may have arrived
        inbound = [e.message_id for e in events if isinstance(e, InboundStored)]
        unmatched = record([e for e in events if not isinstance(e, InboundStored)])
        now = time.monotonic()
        self._early_receipts = deque((first_seen.get(id(e), now), e) for e in unmatched)
        route_inbound(inbound)
        return len(fresh)

    def _beat(self) -> None:
        self._last_beat = time.monotonic()
        with job_session():
            beat("gateway", detail=self.transport.state[:200], name=self.name)


def run_forever(transport: Transport, stop: threading.Event) -> None:
    Gateway(transport).run(stop)
