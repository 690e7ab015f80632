"""What a text costs as the shop would send it: the numbers behind the live counter under a message box."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask_babel import ngettext

from mcrm.messaging.models import MessageKind
from mcrm.messaging.policies import compose
from sms_gateway.encoding import GSM, LIMITS, sms_shape
from tenants.models import Tenant


@dataclass(frozen=True)
class Cost:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets or UTF-16 code units of the whole text as sent
    parts: int
    per_part: int  # what one part holds: 160/70 for a single SMS, 153/67 once the text is split
    chars_left_in_part: int  # room left in the last part before another one is needed
    credits: int

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def summary(self) -> str:
        return summary(self)


def _units(text: str, encoding: str) -> int:
    # The shape's own rule: GSM extension characters take two septets, non-BMP characters two UTF-16 units.
    return len(text.encode("gsm03.38")) if encoding == GSM else len(text.encode("utf-16-le")) // 2


def cost(tenant: Tenant, body: str, kind: MessageKind) -> Cost:
    """The cost of `body` once the signature (and for promotions the opt-out line) is added."""
    shape = sms_shape(compose(tenant, body, kind))
    single, split = LIMITS[shape.encoding]
    per_part = single if shape.count <= 1 else split
    last = shape.parts[-1] if shape.parts else ""
    return Cost(
        encoding=shape.encoding,
        units=shape.units,
        parts=shape.count,
        per_part=per_part,
        chars_left_in_part=max(0, per_part - _units(last, shape.encoding)),
        credits=shape.count,
    )


def summary(c: Cost) -> str:
    """One line for people: "76 characters · UCS-2 · 2 parts · 2 credits"."""
    return " · ".join(
        (
            ngettext("%(num)d character", "%(num)d characters", c.units),
            c.encoding,
            ngettext("%(num)d part", "%(num)d parts", c.parts),
            ngettext("%(num)d credit", "%(num)d credits", c.credits),
        )
    )
