"""How a text travels as SMS: GSM 03.38 when every character fits, UCS-2 otherwise, and its parts.

GSM 03.38 carries 160 septets in one SMS or 153 per part of a long one (the rest is the concatenation
header); its extension characters (€ [ ] { } ~ ^ | \\ and the form feed) take two septets. UCS-2 carries 70
UTF-16 code units, or 67 per part; a character outside the BMP (most emoji) takes two. A part never ends
inside an escape sequence or a surrogate pair (smpplib's make_parts can split both).
"""

from __future__ import annotations

from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM = "GSM-7"
UCS2 = "UCS-2"
LIMITS = {GSM: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsShape:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many SMS (and credits) the text costs."""
        return len(self.parts)


def _fits_gsm(text: str) -> bool:
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


def _cost(char: str, encoding: str) -> int:
    if encoding == GSM:
        return len(char.encode("gsm03.38"))
    return len(char.encode("utf-16-le")) // 2


def sms_shape(text: str) -> SmsShape:
    """The encoding, size and parts of `text` as it would be sent."""
    encoding = GSM if _fits_gsm(text) else UCS2
    costs = [_cost(char, encoding) for char in text]
    units = sum(costs)
    single, per_part = LIMITS[encoding]
    if units <= single:
        return SmsShape(encoding, units, (text,) if text else ())
    parts, start, used = [], 0, 0
    for index, cost in enumerate(costs):
        if used + cost > per_part:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return SmsShape(encoding, units, tuple(parts))


# SMPP data_coding values.
DC_DEFAULT = 0x00  # the SMSC's default alphabet: GSM 03.38 here
DC_IA5 = 0x01
DC_LATIN1 = 0x03
DC_UCS2 = 0x08
ESM_UDHI = 0x40  # the short message starts with a user data header


@dataclass(frozen=True)
class PduPart:
    """One `submit_sm` worth of a message: its bytes (with the concatenation header if any)."""

    short_message: bytes
    data_coding: int
    esm_class: int


def encode_parts(text: str, reference: int) -> list[PduPart]:
    """The `submit_sm` payloads for `text`: one, or several with an 8-bit concatenation header.

    `reference` (0–255) ties the parts of one message together on the handset.
    """
    shape = sms_shape(text)
    gsm = shape.encoding == GSM
    data_coding = DC_DEFAULT if gsm else DC_UCS2
    codec = "gsm03.38" if gsm else "utf-16-be"
    if len(shape.parts) <= 1:
        return [PduPart(text.encode(codec), data_coding, 0)]
    total = len(shape.parts)
    return [
        PduPart(bytes((5, 0, 3, reference & 0xFF, total, seq)) + part.encode(codec), data_coding, ESM_UDHI)
        for seq, part in enumerate(shape.parts, start=1)
    ]


@dataclass(frozen=True)
class Concat:
    """Where an inbound part belongs: reference, total parts, this part's number."""

    reference: int
    total: int
    seq: int


def split_udh(payload: bytes) -> tuple[bytes, Concat | None]:
    """Strip a user data header; return the text bytes and the concatenation it announces, if any."""
    if not payload:
        return payload, None
    length = payload[0]
    header, body = payload[1 : 1 + length], payload[1 + length :]
    concat, i = None, 0
    while i + 1 < len(header):
        iei, size = header[i], header[i + 1]
        data = header[i + 2 : i + 2 + size]
        if iei == 0x00 and size == 3 and len(data) == 3:
            concat = Concat(data[0], data[1], data[2])
        elif iei == 0x08 and size == 4 and len(data) == 4:
            concat = Concat(int.from_bytes(data[:2], "big"), data[2], data[3])
        i += 2 + size
    if concat is not None and not (1 <= concat.seq <= concat.total):
        concat = None
    return body, concat


def decode_text(payload: bytes, data_coding: int) -> str:
    """Inbound bytes as text that is always valid to store: no NUL, no lone surrogate.

    Unknown or binary data codings are kept as hexadecimal, so nothing a phone sends is lost.
    """
    coding = data_coding & 0xFF
    if coding in (DC_DEFAULT, DC_IA5):
        # Some SMSCs hand over Latin-1 or UTF-8 in the default coding; GSM first, then those.
        try:
            text = payload.decode("gsm03.38")
        except UnicodeDecodeError:
            text = _first_decoding(payload, ("utf-8", "latin-1"))
    elif coding == DC_LATIN1:
        text = payload.decode("latin-1")
    elif coding == DC_UCS2:
        # An odd trailing byte is half a character: kept as a replacement mark.
        even = len(payload) - len(payload) % 2
        text = payload[:even].decode("utf-16-be", errors="surrogatepass") + "\ufffd" * (len(payload) % 2)
    else:
        return f"[binary data_coding 0x{coding:02x}] {payload.hex()}"
    # Lone surrogates cannot be stored as UTF-8; NUL is refused by PostgreSQL text.
    text = text.encode("utf-16", errors="surrogatepass").decode("utf-16", errors="replace")
    return text.replace("\x00", "")


def _first_decoding(payload: bytes, codecs: tuple[str, ...]) -> str:
    for codec in codecs:
        try:
            return payload.decode(codec)
        except UnicodeDecodeError:
            continue
    return payload.decode("latin-1")
