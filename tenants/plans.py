"""What a shop rents: plans and their limits."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


class Plan(enum.StrEnum):
    TRIAL = "trial"
    MONTHLY = "monthly"
    LICENCE = "licence"


@dataclass(frozen=True)
class PlanTerms:
    label: object
    max_staff: int


PLAN_TERMS = {
    Plan.TRIAL: PlanTerms(_l("Trial"), max_staff=2),
    Plan.MONTHLY: PlanTerms(_l("Monthly (150 CNY)"), max_staff=10),
    Plan.LICENCE: PlanTerms(_l("Licence (2380 CNY)"), max_staff=50),
}
