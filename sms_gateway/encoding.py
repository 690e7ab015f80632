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
