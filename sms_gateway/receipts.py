"""Delivery receipts: which message they speak of, and what they say.

An SMSC names the message in the `receipted_message_id` TLV, or only in the text (`id:… stat:DELIVRD`),
sometimes in decimal where its `submit_sm_resp` gave hexadecimal. Only DELIVRD means delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(rb"\bid:([0-9A-Za-z\-]+)")
_STAT = re.compile(rb"\bstat:([A-Z_]+)")
_ERR = re.compile(rb"\berr:([0-9A-Za-z]+)")
# message_state TLV values (SMPP 3.4, 5.2.28) as the text's stat words.
_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
FINAL = frozenset({"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "REJECTD", "UNKNOWN"})


@dataclass(frozen=True)
class Receipt:
    smsc_id: str  # as given, normalised
    state: str  # DELIVRD, UNDELIV, ...
    error: str | None


def normalise_id(raw: str) -> str:
    value = raw.strip().lower().lstrip("0")
    return value or "0"


def id_candidates(raw: str) -> set[str]:
    """The forms the same id may have been stored in: as given, and read as decimal or hexadecimal."""
    value = normalise_id(raw)
    candidates = {value}
    if value.isdigit():
        candidates.add(normalise_id(format(int(value), "x")))
    if re.fullmatch(r"[0-9a-f]+", value) and len(value) <= 16:
        candidates.add(normalise_id(str(int(value, 16))))
    return candidates


def parse_receipt(
    short_message: bytes, receipted_message_id: str | bytes | None, message_state: int | None
) -> Receipt | None:
    """The receipt a `deliver_sm` carries, or None when it names no message."""
    text = short_message or b""
    smsc_id = receipted_message_id
    if isinstance(smsc_id, bytes):
        smsc_id = smsc_id.decode("ascii", errors="replace")
    if not smsc_id:
        match = _ID.search(text)
        smsc_id = match.group(1).decode("ascii") if match else None
    if not smsc_id:
        return None
    match = _STAT.search(text)
    state = match.group(1).decode("ascii") if match else _STATES.get(message_state or 0, "UNKNOWN")
    error = _ERR.search(text)
    return Receipt(normalise_id(smsc_id), state, error.group(1).decode("ascii") if error else None)
