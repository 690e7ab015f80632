"""A promotion's personalised text, its encoding and its parts as SQL over the members table.

The same answer as sms_gateway/encoding.py `sms_shape` on the text `preview_text` builds, but for a whole
audience in one statement. The template is composed (signature, opt-out line) and split into literal text
and placeholders in Python; only {name}, {points} and {coupon} vary per member, and of those only the name
can leave the GSM 03.38 alphabet or hold characters that cost two units (points are digits, coupon codes
capital letters and digits). So the template's units are counted once in Python and the name's in SQL:
`gsm_septets` and `utf16_units` are regular expressions on PostgreSQL and Python functions registered on
every SQLite connection (mcrm/db.py).

Parts are ceil(units / per part) past one SMS. `sms_shape` never ends a part inside an escape sequence or
a surrogate pair, so a text with two-unit characters can need one part more than that; `maybe_straddled`
picks the few rows where that is possible and `exact_parts` settles them (materialise does it per run).
"""

from __future__ import annotations

import functools
import operator
import unicodedata
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
from flask_babel import force_locale
from flask_babel import gettext as _
from gsm0338.charset import BASIC_CHARACTER_SET, BASIC_CHARACTER_SET_EXTENSION
from sqlalchemy import Integer, String, case, cast, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from mcrm.apps.placeholders import PLACEHOLDER
from mcrm.config import LANGUAGES
from mcrm.members.models import Member
from mcrm.messaging.models import MessageKind
from mcrm.messaging.policies import compose
from sms_gateway.encoding import GSM, LIMITS, UCS2, sms_shape
from tenants.models import Tenant


def _gsm_costs() -> dict[str, int]:
    # Every character the codec can encode is named in its tables; what it costs is what it encodes to.
    costs = {}
    for name in [*BASIC_CHARACTER_SET.values(), *BASIC_CHARACTER_SET_EXTENSION.values()]:
        char = "\x1b" if name == "ESCAPE" else unicodedata.lookup(name)
        try:
            costs[char] = len(char.encode("gsm03.38"))
        except (UnicodeEncodeError, KeyError, TypeError):
            continue
    return costs


GSM_COSTS = _gsm_costs()
GSM_EXTENSION = "".join(sorted(c for c, cost in GSM_COSTS.items() if cost == 2))


def _bracket(chars: str) -> str:
    # \uXXXX for every member: no character can be read as a bracket expression's own syntax (] ^ - \ [:).
    return "".join(f"\\u{ord(c):04x}" for c in sorted(chars))


# PostgreSQL advanced regular expressions (the server encoding must be UTF8, as the app's databases are).
PG_ALL_GSM = "^[" + _bracket("".join(GSM_COSTS)) + "]*$"
PG_NOT_EXTENSION = "[^" + _bracket(GSM_EXTENSION) + "]"
PG_NOT_ASTRAL = "[^\\U00010000-\\U0010FFFF]"


def septets(text: str | None) -> int | None:
    """GSM 03.38 septets of `text`, or -1 when a character is not in the alphabet."""
    if text is None:
        return None
    total = 0
    for char in text:
        cost = GSM_COSTS.get(char)
        if cost is None:
            return -1
        total += cost
    return total


def utf16(text: str | None) -> int | None:
    """UTF-16 code units of `text` (a character outside the BMP takes two)."""
    return None if text is None else len(text.encode("utf-16-le")) // 2


# (name, number of arguments, function) for sqlite3's create_function.
SQLITE_FUNCTIONS = (("mcrm_gsm_septets", 1, septets), ("mcrm_utf16_units", 1, utf16))


class gsm_septets(FunctionElement):
    """SQL: septets of a text in GSM 03.38, or -1 when it does not fit the alphabet."""

    type = Integer()
    inherit_cache = True


class utf16_units(FunctionElement):
    """SQL: UTF-16 code units of a text."""

    type = Integer()
    inherit_cache = True


def _argument(element: FunctionElement) -> ColumnElement:
    (argument,) = element.clauses.clauses
    return argument


@compiles(gsm_septets)
def _gsm_septets_sqlite(element, compiler, **kw):
    return f"mcrm_gsm_septets({compiler.process(_argument(element), **kw)})"


@compiles(utf16_units)
def _utf16_units_sqlite(element, compiler, **kw):
    return f"mcrm_utf16_units({compiler.process(_argument(element), **kw)})"


@compiles(gsm_septets, "postgresql")
def _gsm_septets_pg(element, compiler, **kw):
    text = _argument(element)
    expression = case(
        (
            text.regexp_match(PG_ALL_GSM),
            func.length(text) + func.length(func.regexp_replace(text, PG_NOT_EXTENSION, "", "g")),
        ),
        else_=-1,
    )
    return f"({compiler.process(expression, **kw)})"


@compiles(utf16_units, "postgresql")
def _utf16_units_pg(element, compiler, **kw):
    text = _argument(element)
    units = func.length(text) + func.length(func.regexp_replace(text, PG_NOT_ASTRAL, "", "g"))
    # In parentheses: the caller may multiply it (a name used twice), and `a + b * 2` is not `(a + b) * 2`.
    return f"({compiler.process(units, **kw)})"


def fallback_names(tenant: Tenant) -> dict[str, str]:
    """What {name} reads for a member whose name the shop does not know, by language."""
    words = {}
    for language in LANGUAGES:
        with force_locale(language):
            words[language] = _("friend")
    return words


def _name_sql(tenant: Tenant) -> ColumnElement[str]:
    # As the keyword router answers: the member's language, else the shop's. A blank name reads as unknown.
    words = fallback_names(tenant)
    language = func.coalesce(func.nullif(Member.locale, ""), tenant.locale)
    fallback = case(
        *((language == code, literal(word, String)) for code, word in words.items()),
        else_=literal(words.get(tenant.locale, words[LANGUAGES[0]]), String),
    )
    return func.coalesce(func.nullif(func.trim(Member.name), ""), fallback)


def name_for(tenant: Tenant, member_name: str, member_locale: str | None) -> str:
    """Python twin of the SQL name: the preview and the tests read the same thing the audience is sent."""
    if member_name.strip(" "):
        return member_name.strip(" ")
    words = fallback_names(tenant)
    return words.get(member_locale or tenant.locale, words.get(tenant.locale, words[LANGUAGES[0]]))


@dataclass(frozen=True)
class Template:
    """A composed template split at its placeholders: ("text", literal) or ("name" | "points" | "coupon", None)."""

    tokens: tuple[tuple[str, str | None], ...]

    @classmethod
    def of(cls, tenant: Tenant, body: str, *, coupon: bool, kind: MessageKind = MessageKind.MARKETING) -> Template:
        text = compose(tenant, body, kind).strip()
        variable = {"name", "points"} | ({"coupon"} if coupon else set())
        tokens: list[tuple[str, str | None]] = []
        position = 0
        # One pass, as placeholders.substitute does: a shop or member name holding "{points}" stays as typed.
        for match in PLACEHOLDER.finditer(text):
            tokens.append(("text", text[position : match.start()]))
            key = match.group(1)
            if key in variable:
                tokens.append((key, None))
            else:
                tokens.append(("text", tenant.name if key == "shop" else match.group(0)))
            position = match.end()
        tokens.append(("text", text[position:]))
        return cls(tuple(t for t in tokens if t != ("text", "")))

    @property
    def fixed(self) -> str:
        return "".join(value for kind, value in self.tokens if kind == "text")

    def count(self, key: str) -> int:
        return sum(1 for kind, _value in self.tokens if kind == key)

    def render(self, values: dict[str, str]) -> str:
        return "".join(value if kind == "text" else values[kind] for kind, value in self.tokens)


def preview_text(
    tenant: Tenant,
    body: str,
    member: Member | None,
    coupon: str | None = None,
    kind: MessageKind = MessageKind.MARKETING,
) -> str:
    """The text `member` is sent, exactly as the SQL writes it (None: a member the shop knows nothing of)."""
    template = Template.of(tenant, body, coupon=coupon is not None, kind=kind)
    values = {
        "name": name_for(tenant, member.name if member else "", member.locale if member else None),
        "points": str(member.points_balance if member else 0),
        "coupon": coupon or "",
    }
    return template.render(values)


@dataclass(frozen=True)
class Personalised:
    """SQL expressions over `Member` (and the coupon code given) for one composed template."""

    body: ColumnElement[str]
    encoding: ColumnElement[str]
    parts: ColumnElement[int]
    units: ColumnElement[int]


def _parts_of(units: ColumnElement[int], encoding: str) -> ColumnElement[int]:
    single, per_part = LIMITS[encoding]
    # Floor division: an integer "/" on both databases.
    return case((units <= single, 1), else_=(units + (per_part - 1)) // per_part)


def personalise(
    tenant: Tenant,
    body: str,
    coupon: ColumnElement[str] | None = None,
    kind: MessageKind = MessageKind.MARKETING,
) -> Personalised:
    """The member's text, encoding, parts and units as SQL (FROM members, joined to `coupon`'s table if any);
    `kind` decides the composition (marketing ends with the opt-out line, care does not)."""
    template = Template.of(tenant, body, coupon=coupon is not None, kind=kind)
    name = _name_sql(tenant)
    points = cast(Member.points_balance, String)
    values = {"name": name, "points": points, "coupon": coupon}
    pieces = [literal(value, String) if kind == "text" else values[kind] for kind, value in template.tokens]
    text = functools.reduce(operator.add, pieces)

    names, point_count, coupons = template.count("name"), template.count("points"), template.count("coupon")
    plain = func.length(points) * point_count if point_count else literal(0, Integer)
    if coupons:
        plain = plain + func.length(coupon) * coupons
    fixed = template.fixed
    fixed_septets = septets(fixed)
    name_units = utf16_units(name) * names if names else literal(0, Integer)
    ucs2_units = utf16(fixed) + name_units + plain
    if fixed_septets < 0:
        return Personalised(text, literal(UCS2, String), _parts_of(ucs2_units, UCS2), ucs2_units)
    if not names:
        gsm_units = fixed_septets + plain
        return Personalised(text, literal(GSM, String), _parts_of(gsm_units, GSM), gsm_units)
    name_septets = gsm_septets(name)
    gsm_units = fixed_septets + name_septets * names + plain
    fits = name_septets >= 0
    return Personalised(
        text,
        case((fits, literal(GSM, String)), else_=literal(UCS2, String)),
        case((fits, _parts_of(gsm_units, GSM)), else_=_parts_of(ucs2_units, UCS2)),
        case((fits, gsm_units), else_=ucs2_units),
    )


def maybe_straddled(body: ColumnElement[str], encoding: ColumnElement[str], parts: ColumnElement[int]):
    """SQL condition: rows whose part count could be one more than ceil(units / per part).

    The greedy split wastes at most one unit at each of the first parts - 1 boundaries, and only where a
    two-unit character would straddle one; so with c = ceil(units / per) parts the text fits in c unless
    units > c * per - (c - 1) and it has two-unit characters at all (units differ from its length).
    """
    gsm_per, ucs2_per = LIMITS[GSM][1], LIMITS[UCS2][1]
    units = case((encoding == GSM, gsm_septets(body)), else_=utf16_units(body))
    per = case((encoding == GSM, gsm_per), else_=ucs2_per)
    return (parts > 1) & (units != func.length(body)) & (units > parts * per - parts + 1)


def exact_parts(body: str) -> int:
    """The part count sms_shape gives (for the rows maybe_straddled picks)."""
    return sms_shape(body).count
