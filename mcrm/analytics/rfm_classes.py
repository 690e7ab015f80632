"""The RFM class map, and what each class is called and means for the owner.

The map is the widely used R × F segment grid, with F replaced by FM, the average of F and M rounded half
up ((F + M + 1) // 2), so a member who comes rarely but spends a lot still counts as valuable. Its eleven
segments are folded into the issue's names: "promising" into potential, "about to sleep" into needs
attention; "lost" is the grid's coldest corner and every member without a counted purchase.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from mcrm.analytics.models import RfmClass

C, L, P, N = RfmClass.CHAMPIONS, RfmClass.LOYAL, RfmClass.POTENTIAL, RfmClass.NEW
A, R, K = RfmClass.NEEDS_ATTENTION, RfmClass.AT_RISK, RfmClass.CANT_LOSE
H, X = RfmClass.HIBERNATING, RfmClass.LOST

# Rows: R from 5 (bought most recently) down to 1; columns: FM from 1 to 5.
CLASS_GRID: dict[int, tuple[RfmClass, ...]] = {
    #   FM: 1  2  3  4  5
    5: (N, P, P, C, C),
    4: (P, P, P, L, L),
    3: (A, A, A, L, L),
    2: (H, H, R, R, K),
    1: (X, X, R, R, K),
}

# A member with no counted purchase in the window is new when they joined this recently, else lost.
NEW_MEMBER_DAYS = 30

CLASS_LABELS = {
    RfmClass.CHAMPIONS: _l("Champions"),
    RfmClass.LOYAL: _l("Loyal"),
    RfmClass.POTENTIAL: _l("Potential"),
    RfmClass.NEW: _l("New"),
    RfmClass.NEEDS_ATTENTION: _l("Needs attention"),
    RfmClass.AT_RISK: _l("At risk"),
    RfmClass.CANT_LOSE: _l("Can't lose"),
    RfmClass.HIBERNATING: _l("Hibernating"),
    RfmClass.LOST: _l("Lost"),
}

CLASS_EXPLANATIONS = {
    RfmClass.CHAMPIONS: _l("Bought very recently, buys often and spends the most."),
    RfmClass.LOYAL: _l("Buys often and spends well, and came back not long ago."),
    RfmClass.POTENTIAL: _l("A recent customer who could come more often."),
    RfmClass.NEW: _l("Joined or first bought very recently."),
    RfmClass.NEEDS_ATTENTION: _l("Middling on every count, and has not come for a while."),
    RfmClass.AT_RISK: _l("Used to buy often, but has not come back for a long time."),
    RfmClass.CANT_LOSE: _l("One of the best customers, but has not come back for a long time."),
    RfmClass.HIBERNATING: _l("Bought little, and not for a long time."),
    RfmClass.LOST: _l("Bought least and longest ago, or nothing at all in the scoring window."),
}


def class_of(r: int, fm: int) -> RfmClass:
    """The class of a member with these R and FM scores (the SQL in `rfm` is built from the same grid)."""
    return CLASS_GRID[r][fm - 1]
