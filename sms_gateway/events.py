"""What a transport tells the gateway loop. Transports run on their own thread; the loop owns the database.

The loop drains these in batches, so one transaction records hundreds of outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sms_gateway.receipts import Receipt


@dataclass(frozen=True)
class Outbound:
    """A claimed message, as a transport needs it."""

    message_id: int
    to: str  # E.164
    source: str  # the shop's number
    body: str


@dataclass(frozen=True)
class Accepted:
    """The SMSC accepted every part; its ids, in part order."""

    message_id: int
    smsc_ids: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    """The SMSC refused the message for good (or the transport could not encode it)."""

    message_id: int
    error: str
    accepted_parts: int = 0


@dataclass(frozen=True)
class Unanswered:
    """The link went down with a submit unanswered: the message may or may not have gone."""

    message_id: int
    error: str


@dataclass(frozen=True)
class Returned:
    """Never submitted: back to the queue for any gateway to take."""

    message_id: int


@dataclass(frozen=True)
class ReceiptArrived:
    receipt: Receipt


@dataclass(frozen=True)
class InboundStored:
    """An inbound message is stored and waits for the router."""

    message_id: int


Event = Accepted | Refused | Unanswered | Returned | ReceiptArrived | InboundStored
