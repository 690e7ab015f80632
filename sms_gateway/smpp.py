"""The `smpp` transport: one bind_transceiver to an SMSC, driven by one I/O thread.

smpplib starts no threads and is not thread-safe, so this thread alone touches the socket. It keeps up to
`window` submits outstanding (throughput ≈ window ÷ round trip), paces them to `tps`, answers the SMSC's
enquire_link and unbind, sends its own enquire_link when idle and reconnects with backoff when the link dies.
Throttling answers (ESME_RTHROTTLED, ESME_RMSGQFUL) pause sending and retry the part; other errors fail
the message with the SMSC's status. Inbound messages are stored before `deliver_sm_resp` is sent, and a
store that fails answers 0x64 so the SMSC delivers again.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import queue
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions
import smpplib.smpp

from mcrm.messaging.models import Problem
from sms_gateway.encoding import PduPart, encode_parts
from sms_gateway.events import Accepted, Outbound, ReceiptArrived, Refused, Returned, Unanswered
from sms_gateway.receipts import FINAL, normalise_id, parse_receipt

log = logging.getLogger(__name__)

RETRY_LATER = (c.SMPP_ESME_RTHROTTLED, c.SMPP_ESME_RMSGQFUL)
ESME_RX_T_APPN = 0x64  # "temporary application error": the SMSC keeps the message and tries again
THROTTLE_PAUSE = 1.0  # seconds without submits after a throttling answer (as Kannel does)
RECEIPT_TYPES = (0x04, 0x20)  # esm_class message types: SMSC delivery receipt, intermediate notification
MO_BATCH = 200  # inbound messages stored per transaction at most


@dataclass(frozen=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    window: int = 10
    tps: float = 0.0
    enquire_link_seconds: float = 30.0
    dead_link_seconds: float = 15.0
    source_ton: int = 0
    source_npi: int = 1

    @classmethod
    def from_config(cls, config) -> SmppSettings:
        return cls(
            host=config["MCRM_SMPP_HOST"],
            port=config["MCRM_SMPP_PORT"],
            system_id=config["MCRM_SMPP_SYSTEM_ID"],
            password=config["MCRM_SMPP_PASSWORD"],
            system_type=config["MCRM_SMPP_SYSTEM_TYPE"],
            window=max(1, config["MCRM_SMPP_WINDOW"]),
            tps=config["MCRM_SMPP_TPS"],
            enquire_link_seconds=config["MCRM_SMPP_ENQUIRE_LINK_SECONDS"],
            dead_link_seconds=config["MCRM_SMPP_DEAD_LINK_SECONDS"],
            source_ton=config["MCRM_SMPP_SOURCE_TON"],
            source_npi=config["MCRM_SMPP_SOURCE_NPI"],
        )


@dataclass(frozen=True)
class InboundPdu:
    """A `deliver_sm` that is not a receipt, as the inbound store needs it."""

    source: str
    destination: str
    payload: bytes
    data_coding: int
    esm_class: int


@dataclass(eq=False)
class _Job:
    """A message on its way: its parts, the SMSC ids so far, and what is still unanswered."""

    outbound: Outbound
    parts: list[PduPart]
    ids: list[str | None] = field(default_factory=list)
    unanswered: int = 0
    unsent: int = 0
    error: str | None = None

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.ids if i is not None)


class LinkDead(Exception):
    pass


def describe_status(status: int) -> str:
    name = next((k[5:] for k, v in vars(c).items() if k.startswith("SMPP_ESME_") and v == status), None)
    text = c.DESCRIPTIONS.get(status, "unknown status")
    return f"{name or 'status'} 0x{status:08x}: {text}"


class SmppTransport:
    def __init__(self, settings: SmppSettings, store_inbound: Callable[[list[InboundPdu]], bool]):
        self.settings = settings
        # Stores a batch in one transaction, True when committed; called on the I/O thread.
        self.store_inbound = store_inbound
        self._mo_batch: list[tuple[int, InboundPdu]] = []  # read, not yet stored nor answered
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.state = "starting"
        self._jobs: collections.deque[_Job] = collections.deque()  # claimed, no part sent yet
        self._parts: collections.deque[tuple[_Job, int]] = collections.deque()  # parts to send, in order
        self._outstanding: dict[int, tuple[_Job, int]] = {}  # sequence → part
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._reference = 0
        self._paused_until = 0.0
        self._thread: threading.Thread | None = None
        self.submits = 0  # submit_sm sent over the transport's life (for the heartbeat's rate)

    # --- the gateway loop's side -------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="smpp-io", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)

    def room(self) -> int:
        """How many more messages to hand over now: none while unbound, a few windows' worth when bound."""
        if self.state != "bound":
            return 0
        with self._lock:
            held = len(self._jobs) + len(self._parts)
        return max(0, self.settings.window * 4 + 100 - held)

    def submit(self, outbound: Outbound) -> None:
        with self._lock:
            self._jobs.append(_Job(outbound, []))
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a full pipe means it is awake already
            os.write(self._wake_w, b"x")

    # --- the I/O thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            client = None
            try:
                client = self._connect()
                backoff = 1.0
                self._serve(client)
            except Exception as error:  # any fault ends this session; the loop reconnects
                if not self._stop.is_set():
                    log.warning("SMPP link to %s:%s lost: %r", self.settings.host, self.settings.port, error)
                self.state = f"down: {error or type(error).__name__}"[:120]
            finally:
                self._link_lost(Problem.LINK_DROPPED)
                if client is not None:
                    self._close(client)
            if self._stop.wait(backoff):
                break
            backoff = min(backoff * 2, 30.0)
        self._give_back_all()
        self.state = "stopped"

    def _connect(self) -> smpplib.client.Client:
        self.state = "connecting"
        client = smpplib.client.Client(
            self.settings.host,
            self.settings.port,
            timeout=self.settings.dead_link_seconds,
            allow_unknown_opt_params=True,
        )
        client.connect()
        # Without it, Nagle and delayed ACKs hold small PDUs back ~40 ms each.
        client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.bind_transceiver(
            system_id=self.settings.system_id,
            password=self.settings.password,
            system_type=self.settings.system_type,
        )
        self.state = "bound"
        log.info("bound to SMSC %s:%s", self.settings.host, self.settings.port)
        return client

    def _close(self, client: smpplib.client.Client) -> None:
        if self._stop.is_set() and client.state == c.SMPP_CLIENT_STATE_BOUND_TRX:
            # A polite goodbye when stopping: unbind, and give the SMSC a moment to answer.
            with contextlib.suppress(Exception):
                client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
                deadline = time.monotonic() + 1.0
                while client.state == c.SMPP_CLIENT_STATE_BOUND_TRX and time.monotonic() < deadline:
                    if select.select([client._socket], [], [], deadline - time.monotonic())[0]:
                        self._handle(client, client.read_pdu())
        with contextlib.suppress(Exception):
            client.disconnect()

    def _serve(self, client: smpplib.client.Client) -> None:
        sock = client._socket
        interval = 1.0 / self.settings.tps if self.settings.tps > 0 else 0.0
        next_slot = time.monotonic()
        self._paused_until = 0.0
        last_heard = time.monotonic()
        enquire_sent = None
        drain_until = None
        self._mo_batch = []  # anything read on an earlier link was never answered: the SMSC sends it again
        while True:
            now = time.monotonic()
            if self._stop.is_set():
                # Stopping: send nothing new, but wait a little for the answers already due, so fewer
                # messages end up unknown.
                drain_until = drain_until or now + self.settings.dead_link_seconds
                if not self._outstanding or now > drain_until:
                    return
            # Send while the window is open, the pace allows and nothing asked us to wait.
            while drain_until is None and len(self._outstanding) < self.settings.window and now >= self._paused_until:
                if interval and now < next_slot:
                    break
                item = self._next_part()
                if item is None:
                    break
                self._send_part(client, *item)
                if interval:
                    next_slot = max(next_slot, now) + interval
                now = time.monotonic()
            # Keep-alive: ask when quiet; give up when nothing answers.
            if enquire_sent is None and now - last_heard > self.settings.enquire_link_seconds:
                client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
                enquire_sent = now
            if enquire_sent is not None and now - enquire_sent > self.settings.dead_link_seconds:
                raise LinkDead("no answer to enquire_link")
            if self._outstanding and now - last_heard > self.settings.dead_link_seconds:
                raise LinkDead("no answer to submit_sm")
            readable, _, _ = select.select([sock, self._wake_r], [], [], self._wait(now, next_slot, self._paused_until))
            if self._wake_r in readable:
                os.read(self._wake_r, 4096)
            if sock in readable:
                # Drain what is there before sending more: answers free the window.
                while True:
                    self._handle(client, client.read_pdu())
                    last_heard, enquire_sent = time.monotonic(), None
                    if len(self._mo_batch) >= MO_BATCH or not select.select([sock], [], [], 0)[0]:
                        break
                self._store_batch(client)

    def _wait(self, now: float, next_slot: float, paused_until: float) -> float:
        with self._lock:
            work = bool(self._parts or self._jobs)
        if not work or len(self._outstanding) >= self.settings.window:
            return 0.5
        start = max(next_slot, paused_until)
        return max(0.0, min(0.5, start - now))

    def _next_part(self) -> tuple[_Job, int] | None:
        with self._lock:
            while self._parts:
                job, index = self._parts.popleft()
                if job.error is None:
                    return job, index
                job.unsent -= 1
                self._finish_if_done(job)
            if not self._jobs:
                return None
            job = self._jobs.popleft()
        try:
            self._reference = (self._reference + 1) % 256
            job.parts = encode_parts(job.outbound.body, self._reference)
        except Exception as error:
            self.events.put(Refused(job.outbound.message_id, f"cannot encode: {error}"[:200]))
            return self._next_part()
        job.ids = [None] * len(job.parts)
        job.unsent = len(job.parts)
        with self._lock:
            self._parts.extendleft((job, i) for i in reversed(range(1, len(job.parts))))
        return job, 0

    def _send_part(self, client: smpplib.client.Client, job: _Job, index: int) -> None:
        part = job.parts[index]
        pdu = smpplib.smpp.make_pdu(
            "submit_sm",
            client=client,
            source_addr_ton=self.settings.source_ton,
            source_addr_npi=self.settings.source_npi,
            source_addr=job.outbound.source,
            dest_addr_ton=c.SMPP_TON_INTL,
            dest_addr_npi=c.SMPP_NPI_ISDN,
            destination_addr=job.outbound.to.lstrip("+"),
            short_message=part.short_message,
            data_coding=part.data_coding,
            esm_class=part.esm_class,
            registered_delivery=True,
        )
        # Outstanding before the write: if the write fails half-way, the SMSC may still have the part.
        job.unsent -= 1
        job.unanswered += 1
        self._outstanding[pdu.sequence] = (job, index)
        client.send_pdu(pdu)
        self.submits += 1

    def _handle(self, client: smpplib.client.Client, pdu) -> None:
        command = pdu.command
        if command == "submit_sm_resp" or command == "generic_nack":
            self._answered(pdu)
        elif command == "deliver_sm":
            inbound = self._delivered(pdu)
            if inbound is None:
                self._respond(client, pdu.sequence, c.SMPP_ESME_ROK)
            else:
                self._mo_batch.append((pdu.sequence, inbound))
        elif command == "enquire_link":
            resp = smpplib.smpp.make_pdu("enquire_link_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
        elif command == "unbind":
            resp = smpplib.smpp.make_pdu("unbind_resp", client=client)
            resp.sequence = pdu.sequence
            client.send_pdu(resp)
            raise LinkDead("the SMSC unbound")
        elif command in ("enquire_link_resp", "unbind_resp"):
            pass
        else:
            log.warning("unhandled SMPP %s", command)

    def _answered(self, pdu) -> None:
        item = self._outstanding.pop(pdu.sequence, None)
        if item is None:
            log.warning("%s for unknown sequence %s", pdu.command, pdu.sequence)
            return
        job, index = item
        job.unanswered -= 1
        status = int(pdu.status)
        if status == c.SMPP_ESME_ROK and pdu.command == "submit_sm_resp":
            raw = pdu.message_id
            job.ids[index] = normalise_id(raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw))
        elif status in RETRY_LATER:
            with self._lock:
                job.unsent += 1
                self._parts.appendleft((job, index))
            self._paused_until = time.monotonic() + THROTTLE_PAUSE
        else:
            job.error = job.error or describe_status(status)
        with self._lock:
            self._finish_if_done(job)

    def _finish_if_done(self, job: _Job) -> None:
        if job.unanswered or job.unsent:
            return
        if job.error is not None:
            self.events.put(Refused(job.outbound.message_id, job.error, job.accepted))
        elif job.accepted == len(job.parts):
            self.events.put(Accepted(job.outbound.message_id, tuple(job.ids)))

    def _delivered(self, pdu) -> InboundPdu | None:
        """A receipt is reported at once (None); an inbound message is returned to be stored."""
        esm_class = int(pdu.esm_class or 0)
        payload = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        if isinstance(payload, str):
            payload = payload.encode("latin-1", "replace")
        if esm_class & 0x3C in RECEIPT_TYPES:
            receipt = parse_receipt(
                payload, getattr(pdu, "receipted_message_id", None), getattr(pdu, "message_state", None)
            )
            if receipt is not None and receipt.state in FINAL:
                self.events.put(ReceiptArrived(receipt))
            return None
        return InboundPdu(
            source=_text(pdu.source_addr),
            destination=_text(pdu.destination_addr),
            payload=payload,
            data_coding=int(pdu.data_coding or 0),
            esm_class=esm_class,
        )

    def _store_batch(self, client: smpplib.client.Client) -> None:
        """Store what was read in one transaction, then answer each `deliver_sm`: under load one commit
        serves many messages, and none is acknowledged before it is stored."""
        if not self._mo_batch:
            return
        batch, self._mo_batch = self._mo_batch, []
        try:
            stored = self.store_inbound([inbound for _, inbound in batch])
        except Exception:
            log.exception("storing %d inbound messages failed; the SMSC will deliver them again", len(batch))
            stored = False
        for sequence, _ in batch:
            self._respond(client, sequence, c.SMPP_ESME_ROK if stored else ESME_RX_T_APPN)

    def _respond(self, client: smpplib.client.Client, sequence: int, status: int) -> None:
        resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client, status=status)
        resp.sequence = sequence
        client.send_pdu(resp)

    def _link_lost(self, reason: str) -> None:
        """Submits without an answer are ambiguous; messages not started go back to the queue."""
        with self._lock:
            lost = {id(job): job for job, _ in self._outstanding.values()}
            self._outstanding.clear()
            for job in lost.values():
                job.unanswered = 0
                job.error = job.error or reason
                self.events.put(Unanswered(job.outbound.message_id, reason))
            # Parts of messages already partly accepted stay and go after the reconnect (same reference).
            keep = collections.deque((job, i) for job, i in self._parts if id(job) not in lost and job.accepted)
            for job, _ in self._parts:
                if id(job) not in lost and not job.accepted and job.error is None:
                    job.error = "returned"
                    self.events.put(Returned(job.outbound.message_id))
            self._parts = keep
            while self._jobs:
                self.events.put(Returned(self._jobs.popleft().outbound.message_id))

    def _give_back_all(self) -> None:
        with self._lock:
            seen = set()
            for job, _ in self._parts:
                if id(job) in seen:
                    continue
                seen.add(id(job))
                if job.accepted:
                    self.events.put(Unanswered(job.outbound.message_id, Problem.STOPPED_MID_MESSAGE))
                else:
                    self.events.put(Returned(job.outbound.message_id))
            self._parts.clear()
            while self._jobs:
                self.events.put(Returned(self._jobs.popleft().outbound.message_id))


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return str(value or "")
