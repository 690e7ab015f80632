"""Members in and out of CSV files: reading and checking an upload, importing it set-based, streaming exports.

Uploads come from Excel more often than not: UTF-8 with or without a BOM, GBK (Excel in China; read as
GB18030, its superset) or UTF-16 ("Unicode text"), with a header row in Chinese or English. Exports are
UTF-8 with a BOM so Excel opens them with the Chinese intact, and every cell that Excel would take for a
formula is neutralised with a leading quote (OWASP, CSV injection).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import phonenumbers
from flask import has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Integer, Select, bindparam, case, func, insert, select, text, update
from sqlalchemy.orm import selectinload

from mcrm.config import LANGUAGES
from mcrm.db import db, utcnow
from mcrm.members.birthdays import Birthday, parse_birthday
from mcrm.members.forms import SOURCE_LABELS
from mcrm.members.models import Gender, Member, Source, Tag, member_tags
from mcrm.members.services import MemberError, member_phone, parse_tags
from mcrm.points.forms import CHANNEL_LABELS
from mcrm.points.models import Purchase
from mcrm.points.services import book_adjustments
from tenants.isolation import scoped_to
from tenants.models import Tenant, User

MAX_BYTES = 10 * 1024 * 1024
MAX_OPENING_POINTS = 10_000_000
MAX_NAME = 80
# A phone IN (...) list per query: well under every backend's limit on bound parameters.
LOOKUP_CHUNK = 1000
EXPORT_CHUNK_ROWS = 1000

# The member fields a file may fill in, with the column headings people write for them
# (compared without case, spaces, underscores or a trailing "*" of "required" markers).
FIELD_ALIASES = {
    "phone": (
        "phone",
        "mobile",
        "phone number",
        "mobile number",
        "mobile phone",
        "cell",
        "tel",
        "telephone",
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系电话",
        "会员手机",
    ),
    "name": ("name", "full name", "member name", "姓名", "名字", "会员姓名", "客户姓名"),
    "gender": ("gender", "sex", "性别"),
    "birthday": ("birthday", "birth date", "date of birth", "dob", "生日", "出生日期"),
    "tags": ("tags", "tag", "labels", "标签"),
    "notes": ("notes", "note", "remarks", "comment", "备注"),
    "points": ("points", "opening points", "points balance", "积分", "积分余额", "初始积分", "当前积分"),
}
GENDER_WORDS = {
    "男": Gender.MALE,
    "女": Gender.FEMALE,
    "male": Gender.MALE,
    "female": Gender.FEMALE,
    "m": Gender.MALE,
    "f": Gender.FEMALE,
    "先生": Gender.MALE,
    "女士": Gender.FEMALE,
    "man": Gender.MALE,
    "woman": Gender.FEMALE,
}
# Written where the gender is not known: nothing to fill in, and no error either.
GENDER_BLANKS = {"", "-", "未知", "保密", "不详", "unknown", "not given", "n/a", "u"}
# What export neutralises (and import therefore reads back without the quote).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PROBLEM_TEXTS = {
    "phone_missing": _l("No mobile number."),
    "phone": _l("%(value)s is not a valid mobile number."),
    "duplicate": _l("%(value)s is already on line %(line)s; the first one is imported."),
    "gender": _l("Gender %(value)s is not one of 男, 女, male, female, M, F."),
    "birthday": _l("Birthday %(value)s is not a date like 1990-08-15, 08-15 or 农历08-15."),
    "points": _l("Points %(value)s is not a whole number from 0 to 10,000,000."),
    "name": _l("The name is longer than 80 characters."),
}
FIELD_LABELS = {
    "phone": _l("Mobile number"),
    "name": _l("Name"),
    "gender": _l("Gender"),
    "birthday": _l("Birthday"),
    "tags": _l("Tags"),
    "notes": _l("Notes"),
    "points": _l("Opening points"),
}
GENDER_LABELS = {Gender.FEMALE: _l("Female"), Gender.MALE: _l("Male")}
MEMBER_HEADER = (
    _l("Phone"),
    _l("Name"),
    _l("Gender"),
    _l("Birthday"),
    _l("Tags"),
    _l("Notes"),
    _l("Points balance"),
    _l("Total spent"),
    _l("Visits"),
    _l("Last visit"),
    _l("Joined"),
    _l("Source"),
    _l("Opted out"),
)
PURCHASE_HEADER = (
    _l("Member phone"),
    _l("Member name"),
    _l("Amount"),
    _l("Points"),
    _l("Occurred at"),
    _l("Channel"),
    _l("Recorded by"),
    _l("Reversed"),
)
# The member export's columns that an import reads back, by field.
EXPORTED_FIELDS = {"phone": 0, "name": 1, "gender": 2, "birthday": 3, "tags": 4, "notes": 5, "points": 6}


class CsvError(ValueError):
    """The file as a whole cannot be imported; the message says what to do."""


@dataclass(slots=True)
class Row:
    """A good row: what it adds or fills in. None means the file leaves that field as it is."""

    line: int
    phone: str
    name: str | None = None
    gender: Gender | None = None
    birthday: Birthday | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    points: int = 0

    def sample(self) -> dict:
        return {"line": self.line, "phone": self.phone, "name": self.name or ""}


@dataclass(slots=True)
class BadRow:
    line: int
    problems: list[dict]

    def as_json(self) -> dict:
        return {"line": self.line, "problems": self.problems}


@dataclass
class ParsedFile:
    encoding: str
    columns: dict[str, str]  # field -> the heading it was found under
    ignored: list[str]  # headings that mean nothing to the import
    entries: list[Row | BadRow]  # every data row, in file order

    @property
    def rows(self) -> list[Row]:
        return [entry for entry in self.entries if isinstance(entry, Row)]

    @property
    def bad(self) -> list[BadRow]:
        return [entry for entry in self.entries if isinstance(entry, BadRow)]

    @property
    def total(self) -> int:
        return len(self.entries)


def describe_problem(problem: dict) -> str:
    """A bad row's problem in the reader's language."""
    return str(PROBLEM_TEXTS[problem["code"]]) % {"value": problem.get("value", ""), "line": problem.get("line")}


# Reading -----------------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text of an upload and the encoding it was in: UTF-16 by its BOM, else UTF-8, else GB18030."""
    if data.startswith(b"PK\x03\x04"):
        raise CsvError(
            _(
                "This is an Excel workbook, not a CSV file. In Excel choose File › Save As › "
                "CSV UTF-8 (or CSV), then upload that file."
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise CsvError(_("The file could not be read as text. Save it from Excel as CSV UTF-8 and try again."))


def _heading_key(text: str) -> str:
    return re.sub(r"[\s_*]+", "", text.strip().lower())


def _aliases() -> dict[str, str]:
    """Heading key -> field, including the member export's own headings in every language."""
    aliases = {_heading_key(alias): name for name, words in FIELD_ALIASES.items() for alias in words}
    if has_app_context():
        for locale in LANGUAGES:
            with force_locale(locale):
                for name, index in EXPORTED_FIELDS.items():
                    aliases.setdefault(_heading_key(str(MEMBER_HEADER[index])), name)
    return aliases


def _gender_words() -> dict[str, Gender]:
    words = dict(GENDER_WORDS)
    if has_app_context():
        for locale in LANGUAGES:
            with force_locale(locale):
                words.update({str(label).lower(): gender for gender, label in GENDER_LABELS.items()})
    return words


def _delimiter(first_line: str) -> str:
    # Excel writes commas; its "Unicode text" and some POS exports use tabs; European Excel uses semicolons.
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _cell(value: str) -> str:
    value = value.strip()
    # Our own export's neutralised cells ('=SUM…, '+86…) read back as they were.
    if value.startswith("'") and value[1:2] in FORMULA_STARTS:
        return value[1:]
    return value


def parse_members_csv(tenant: Tenant, data: bytes) -> ParsedFile:
    """Read and check every row of an upload; file-level problems raise CsvError, row problems are kept."""
    if len(data) > MAX_BYTES:
        raise CsvError(_("The file is larger than 10 MB. Split it into smaller files and import them one by one."))
    text, encoding = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.lstrip().split("\n", 1)[0]))
    try:
        # The header is the first line with something in it.
        header = next((cells for cells in reader if any(cell.strip() for cell in cells)), None)
        if header is None:
            raise CsvError(_("The file is empty."))
        columns, ignored, positions = _read_header(header)
        entries = _read_rows(tenant, reader, positions)
    except csv.Error as error:
        raise CsvError(
            _(
                "Line %(line)d is not valid CSV (%(error)s). Save the file from Excel as CSV and try again.",
                line=reader.line_num,
                error=error,
            )
        ) from None
    if not entries:
        raise CsvError(_("The file has a header row but no members under it."))
    return ParsedFile(encoding=encoding, columns=columns, ignored=ignored, entries=entries)


def _read_header(header: list[str]) -> tuple[dict[str, str], list[str], dict[str, int]]:
    aliases = _aliases()
    columns: dict[str, str] = {}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, heading in enumerate(header):
        name = aliases.get(_heading_key(heading))
        if name is None or name in positions:
            if heading.strip():
                ignored.append(heading.strip())
            continue
        columns[name], positions[name] = heading.strip(), index
    if "phone" not in positions:
        found = "、".join(h.strip() for h in header if h.strip()) or "-"
        raise CsvError(
            _(
                "The file has no mobile number column. The first line must name the columns, e.g. "
                "手机号,姓名,性别,生日,标签,备注,积分 or phone,name,gender,birthday,tags,notes,points "
                "(found: %(found)s).",
                found=found,
            )
        )
    return columns, ignored, positions


def _read_rows(tenant: Tenant, reader, positions: dict[str, int]) -> list[Row | BadRow]:
    genders = _gender_words()
    first_line: dict[str, int] = {}
    entries: list[Row | BadRow] = []
    end_of_previous = reader.line_num
    for cells in reader:
        # A quoted cell can span lines: a row starts on the line after the previous row ended.
        line, end_of_previous = end_of_previous + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: _cell(cells[index]) if index < len(cells) else "" for name, index in positions.items()}
        row, problems = Row(line=line, phone=""), []
        try:
            row.phone = member_phone(tenant, values["phone"]) if values["phone"] else ""
        except MemberError:
            problems.append({"code": "phone", "value": values["phone"][:100]})
        if not values["phone"]:
            problems.append({"code": "phone_missing"})
        elif row.phone in first_line:
            problems.append({"code": "duplicate", "value": values["phone"][:100], "line": first_line[row.phone]})
        elif row.phone:
            first_line[row.phone] = line
        _read_fields(row, values, genders, problems)
        entries.append(BadRow(line, problems) if problems else row)
    return entries


def _read_fields(row: Row, values: dict[str, str], genders: dict[str, Gender], problems: list[dict]) -> None:
    if name := values.get("name"):
        if len(name) > MAX_NAME:
            problems.append({"code": "name"})
        row.name = name
    gender = values.get("gender", "")
    if gender.lower() not in GENDER_BLANKS:
        row.gender = genders.get(gender.lower())
        if row.gender is None:
            problems.append({"code": "gender", "value": gender[:100]})
    if birthday := values.get("birthday"):
        row.birthday = parse_birthday(birthday)
        if row.birthday is None:
            problems.append({"code": "birthday", "value": birthday[:100]})
    row.tags = parse_tags(values.get("tags", ""))
    row.notes = values.get("notes") or None
    if points := values.get("points", "").replace(",", ""):
        try:
            number = Decimal(points)
            valid = number.is_finite() and number == number.to_integral_value() and 0 <= number <= MAX_OPENING_POINTS
        except InvalidOperation:
            valid = False
        if valid:
            row.points = int(number)
        else:
            problems.append({"code": "points", "value": points[:100]})


def plan_with_parameters() -> None:
    """Have PostgreSQL plan this transaction's statements for their actual parameters.

    A shop's member count can go from nothing to 100k within one import, long before statistics catch
    up; a cached generic plan made for "a shop with a few members" then scans the whole shop for every
    row. Custom plans see the member id or the list of phones and use the unique indexes.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def existing_phones(tenant: Tenant, phones: list[str]) -> dict[str, int]:
    """Phone -> member id for the phones that are members of the shop already."""
    plan_with_parameters()
    found: dict[str, int] = {}
    for start in range(0, len(phones), LOOKUP_CHUNK):
        chunk = phones[start : start + LOOKUP_CHUNK]
        found.update(
            db.execute(
                select(Member.phone, Member.id).where(Member.tenant_id == tenant.id, Member.phone.in_(chunk))
            ).all()
        )
    return found


# Importing ---------------------------------------------------------------------------------------------

_members = Member.__table__
# Existing members: fill in what the file gives (NULL leaves a field as it is). One statement, many rows.
_FILL_IN = (
    update(_members)
    .where(_members.c.id == bindparam("member_id"), _members.c.tenant_id == bindparam("shop_id"))
    .values(
        name=func.coalesce(bindparam("new_name", type_=_members.c.name.type), _members.c.name),
        gender=func.coalesce(bindparam("new_gender", type_=_members.c.gender.type), _members.c.gender),
        notes=func.coalesce(bindparam("new_notes", type_=_members.c.notes.type), _members.c.notes),
        birthday_year=case(
            (bindparam("has_birthday", type_=Boolean), bindparam("new_year", type_=Integer)),
            else_=_members.c.birthday_year,
        ),
        birthday_month=func.coalesce(bindparam("new_month", type_=Integer), _members.c.birthday_month),
        birthday_day=func.coalesce(bindparam("new_day", type_=Integer), _members.c.birthday_day),
        birthday_lunar=func.coalesce(bindparam("new_lunar", type_=Boolean), _members.c.birthday_lunar),
    )
)


def import_rows(tenant: Tenant, rows: list[Row], *, job_id: int, by_user_id: int | None) -> tuple[int, int]:
    """Add the new members among `rows` and fill in the existing ones, set-based; (added, updated).

    New members join now with consent from the import, and no welcome bonus: the shop knew them already.
    Their opening points are booked as ledger adjustments. The caller commits.
    """
    ids = existing_phones(tenant, [row.phone for row in rows])
    new = [row for row in rows if row.phone not in ids]
    old = [row for row in rows if row.phone in ids]
    if new:
        now = utcnow()
        values = [
            {
                "tenant_id": tenant.id,
                "phone": row.phone,
                "phone_tail": row.phone[-4:],
                "name": row.name or "",
                "gender": row.gender or Gender.UNKNOWN,
                "notes": row.notes or "",
                "birthday_year": row.birthday.year if row.birthday else None,
                "birthday_month": row.birthday.month if row.birthday else None,
                "birthday_day": row.birthday.day if row.birthday else None,
                "birthday_lunar": row.birthday.lunar if row.birthday else False,
                "source": Source.IMPORT,
                "joined_at": now,
                "consent_source": Source.IMPORT,
                "consent_at": now,
                "consent_evidence": f"import:{job_id} line {row.line}",
                "consent_by_user_id": by_user_id,
            }
            for row in new
        ]
        # render_nulls: every row has the same columns, so they go to the driver as one executemany.
        db.execute(insert(Member), values, execution_options={"render_nulls": True})
        # The ids of those that get tags or points: one SELECT is several times faster than INSERT … RETURNING.
        ids.update(existing_phones(tenant, [row.phone for row in new if row.tags or row.points]))
    if old:
        db.execute(
            _FILL_IN,
            [
                {
                    "member_id": ids[row.phone],
                    "shop_id": tenant.id,
                    "new_name": row.name,
                    "new_gender": row.gender,
                    "new_notes": row.notes,
                    "has_birthday": row.birthday is not None,
                    "new_year": row.birthday.year if row.birthday else None,
                    "new_month": row.birthday.month if row.birthday else None,
                    "new_day": row.birthday.day if row.birthday else None,
                    "new_lunar": row.birthday.lunar if row.birthday else None,
                }
                for row in old
            ],
        )
    _add_tags(
        tenant, [(ids[row.phone], row.tags) for row in rows if row.tags], fresh={ids[r.phone] for r in new if r.tags}
    )
    opening = {ids[row.phone]: row.points for row in new if row.points > 0}
    if opening:
        book_adjustments(tenant, opening, note="import", by_user_id=by_user_id)
    return len(new), len(old)


def _add_tags(tenant: Tenant, tagged: list[tuple[int, list[str]]], fresh: set[int]) -> None:
    """Add tags to members (creating the shop's new tags); tags they have already stay as they are."""
    names = sorted({name for _member, tags in tagged for name in tags})
    if not names:
        return
    tag_ids = dict(db.execute(select(Tag.name, Tag.id).where(Tag.tenant_id == tenant.id, Tag.name.in_(names))).all())
    missing = [name for name in names if name not in tag_ids]
    if missing:
        tag_ids.update(
            db.execute(
                insert(Tag).returning(Tag.name, Tag.id), [{"tenant_id": tenant.id, "name": name} for name in missing]
            ).all()
        )
    known = [member_id for member_id, _tags in tagged if member_id not in fresh]
    have = (
        set(
            db.execute(
                select(member_tags.c.member_id, member_tags.c.tag_id).where(
                    member_tags.c.tenant_id == tenant.id, member_tags.c.member_id.in_(known)
                )
            ).all()
        )
        if known
        else set()
    )
    links = [
        {"tenant_id": tenant.id, "member_id": member_id, "tag_id": tag_ids[name]}
        for member_id, tags in tagged
        for name in tags
        if (member_id, tag_ids[name]) not in have
    ]
    if links:
        db.execute(member_tags.insert(), links)


# Exporting ---------------------------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """A cell Excel will not run as a formula: one that starts like a formula gets a leading quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_phone(e164: str, country: str) -> str:
    """The shop's own country's numbers as people dial them (13800138000); others in E.164."""
    number = phonenumbers.parse(e164)
    if phonenumbers.region_code_for_number(number) != country:
        return e164
    return re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def csv_stream(
    tenant_id: int, header: list[str], query: Select, cells: Callable[[object], Iterable]
) -> Iterator[bytes]:
    """The CSV as UTF-8 chunks with a BOM, read with yield_per so 100k rows never sit in memory at once."""
    with scoped_to(tenant_id):
        try:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            buffer.write("\ufeff")
            writer.writerow(header)
            for item in db.execute(query.execution_options(yield_per=EXPORT_CHUNK_ROWS)):
                writer.writerow([neutralise(cell) for cell in cells(item)])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue().encode("utf-8")
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue().encode("utf-8")
        finally:
            # The stream outlives the request's session (released at teardown): it has its own.
            db.remove()


def local_time_formatter(tz: ZoneInfo) -> Callable:
    def when(value) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""

    return when


def members_csv(tenant: Tenant) -> Iterator[bytes]:
    """Every member of the shop, oldest first; headings and labels in the reader's language."""
    header = [str(h) for h in MEMBER_HEADER]
    genders = {gender: str(label) for gender, label in GENDER_LABELS.items()}
    sources = {source: str(label) for source, label in SOURCE_LABELS.items()}
    when, country = local_time_formatter(ZoneInfo(tenant.timezone)), tenant.country

    def cells(item) -> list[str]:
        member = item[0]
        return [
            export_phone(member.phone, country),
            member.name,
            genders.get(member.gender, ""),
            member.birthday_text,
            ",".join(tag.name for tag in member.tags),
            member.notes,
            str(member.points_balance),
            f"{member.total_spent:.2f}",
            str(member.visit_count),
            when(member.last_visit_at),
            when(member.joined_at),
            sources.get(member.source, ""),
            when(member.opted_out_at),
        ]

    query = select(Member).where(Member.tenant_id == tenant.id).options(selectinload(Member.tags)).order_by(Member.id)
    return csv_stream(tenant.id, header, query, cells)


def purchases_csv(tenant: Tenant) -> Iterator[bytes]:
    """Every purchase of the shop in the order they happened, times in the shop's timezone."""
    header = [str(h) for h in PURCHASE_HEADER]
    channels = {channel: str(label) for channel, label in CHANNEL_LABELS.items()}
    yes = _("Yes")
    when, country = local_time_formatter(ZoneInfo(tenant.timezone)), tenant.country

    def cells(item) -> list[str]:
        return [
            export_phone(item.phone, country),
            item.member_name,
            f"{item.amount:.2f}",
            str(item.points_earned),
            when(item.occurred_at),
            channels.get(item.channel, ""),
            item.recorded_by or "",
            yes if item.reversed_at else "",
        ]

    query = (
        select(
            Member.phone,
            Member.name.label("member_name"),
            Purchase.amount,
            Purchase.points_earned,
            Purchase.occurred_at,
            Purchase.channel,
            User.name.label("recorded_by"),
            Purchase.reversed_at,
        )
        .join(Member, Member.id == Purchase.member_id)
        .outerjoin(User, User.id == Purchase.recorded_by_id)
        .where(Purchase.tenant_id == tenant.id)
        .order_by(Purchase.occurred_at, Purchase.id)
    )
    return csv_stream(tenant.id, header, query, cells)


def template_csv() -> bytes:
    """An empty import file with the headings and one example row, for owners starting from nothing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([str(MEMBER_HEADER[index]) for index in EXPORTED_FIELDS.values()])
    writer.writerow(["13800138000", _("Wang Fang"), str(GENDER_LABELS[Gender.FEMALE]), "1990-08-15", "VIP", "", "100"])
    return buffer.getvalue().encode("utf-8")
