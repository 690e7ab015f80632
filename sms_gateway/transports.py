"""Transports carry a message to the network. `sandbox` accepts everything locally."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Outcome:
    """What the network said of one submitted message."""

    external_id: str | None
    delivered: bool | None  # None: no receipt yet
    error: str | None = None


class Transport(Protocol):
    def submit(self, to: str, source: str, body: str) -> Outcome: ...


class SandboxTransport:
    """The embedded default: accepts every message and reports it delivered at once."""

    def submit(self, to: str, source: str, body: str) -> Outcome:
        return Outcome(external_id=f"sandbox-{uuid.uuid4().hex[:16]}", delivered=True)


def make_transport(name: str) -> Transport:
    if name == "sandbox":
        return SandboxTransport()
    raise ValueError(f"unknown SMS transport {name!r} (known: sandbox)")
