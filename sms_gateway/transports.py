"""Transports carry messages to the network. `sandbox` is the embedded default; `smpp` binds to an SMSC.

A transport takes claimed messages with `submit()` (never blocking) and reports what happened as events
on its `events` queue; the gateway loop records them in the database.
"""

from __future__ import annotations

import itertools
import queue
from typing import Protocol

from sms_gateway.encoding import sms_shape
from sms_gateway.events import Accepted, Outbound, ReceiptArrived
from sms_gateway.receipts import Receipt


class Transport(Protocol):
    events: queue.SimpleQueue
    state: str
    submits: int

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def room(self) -> int: ...
    def submit(self, outbound: Outbound) -> None: ...


class SandboxTransport:
    """Accepts every message locally and reports it delivered, part by part, as an SMSC would."""

    def __init__(self):
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.state = "sandbox"
        self.submits = 0
        self._ids = itertools.count(1)

    def start(self) -> None:
        """Nothing runs in the background: submit() answers at once."""

    def stop(self) -> None:
        """Nothing to stop or hand back: nothing is ever held."""

    def room(self) -> int:
        return 500

    def submit(self, outbound: Outbound) -> None:
        ids = tuple(f"sandbox{next(self._ids)}" for _ in range(max(1, sms_shape(outbound.body).count)))
        self.submits += len(ids)
        self.events.put(Accepted(outbound.message_id, ids))
        for smsc_id in ids:
            self.events.put(ReceiptArrived(Receipt(smsc_id, "DELIVRD", None)))


def make_transport(app) -> Transport:
    """The transport `MCRM_SMS_TRANSPORT` names, configured from the app."""
    name = app.config["MCRM_SMS_TRANSPORT"]
    if name == "sandbox":
        return SandboxTransport()
    if name == "smpp":
        from sms_gateway.inbound import store_pdus
        from sms_gateway.smpp import SmppSettings, SmppTransport

        def store(pdus):
            with app.app_context():
                return store_pdus(pdus, transport.events)

        transport = SmppTransport(SmppSettings.from_config(app.config), store)
        return transport
    raise ValueError(f"unknown SMS transport {name!r} (known: sandbox, smpp)")
