"""Coupon codes for whoever gives them: promotion runs, greeting runs and survey thanks.

A code is three letters, the prefix, then digits. A prefix belongs to one batch of the shop (a promotion
run, a greeting run, a survey), so codes of different batches never meet; within a batch the digits are
distinct by construction (a whole batch at once) or by the unique (tenant_id, code) (one code at a time).
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

from sqlalchemy import String, cast, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from mcrm.db import db
from mcrm.promotions.models import Coupon, PromotionRun
from tenants.models import Tenant

# Capital letters a person cannot mistake for a digit (no I, no O).
COUPON_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MIN_COUPON_DIGITS = 6
SINGLE_CODE_TRIES = 10


def coupon_digits(count: int) -> int:
    """Digits enough that `count` codes of a batch fit: 10^d ≥ count, and never fewer than six."""
    digits = MIN_COUPON_DIGITS
    while 10**digits < count:
        digits += 1
    return digits


def free_prefix(tenant: Tenant) -> str:
    """Three letters no earlier batch of the shop used, so codes of different batches never meet."""
    # The codes themselves say which prefixes are taken, whoever gave them; a promotion run reserves its
    # prefix before its coupons are written, so its column counts too.
    in_codes = select(func.substr(Coupon.code, 1, 3)).where(Coupon.tenant_id == tenant.id).distinct()
    reserved = select(PromotionRun.coupon_prefix).where(
        PromotionRun.tenant_id == tenant.id, PromotionRun.coupon_prefix.is_not(None)
    )
    used = set(db.scalars(in_codes)) | set(db.scalars(reserved))
    free = ["".join(letters) for letters in itertools.product(COUPON_LETTERS, repeat=3)]
    free = [prefix for prefix in free if prefix not in used]
    if not free:
        raise RuntimeError(f"shop {tenant.id} has used every coupon prefix")
    return secrets.choice(free)


def insert_coupons(
    tenant: Tenant, prefix: str, recipients, owner_columns: dict[str, int], count: int, expires_at: dt.datetime
) -> None:
    """One coupon for each member of the `recipients` subquery (a `member_id` column), owned as
    `owner_columns` says (e.g. {"run_id": 7}); `count` is how many recipients there are."""
    # (position × a + b) mod 10^d with a coprime to 10 is a bijection on 0 … 10^d − 1, so the batch's codes are
    # distinct without checking, and do not read as a sequence; the prefix keeps batches apart.
    digits = coupon_digits(count)
    modulus = 10**digits
    a = secrets.randbelow(modulus)
    while a % 2 == 0 or a % 5 == 0:
        a = secrets.randbelow(modulus)
    b = secrets.randbelow(modulus)
    position = func.row_number().over(order_by=recipients.c.member_id)
    number = (position * a + b) % modulus
    # 10^d + n has d + 1 digits: dropping the leading 1 zero-pads n to d digits on both databases.
    code = literal(prefix, String) + func.substr(cast(number + modulus, String), 2)
    owners = list(owner_columns)
    db.execute(
        insert(Coupon).from_select(
            ["tenant_id", *owners, "member_id", "code", "expires_at"],
            select(
                literal(tenant.id),
                *(literal(owner_columns[name]) for name in owners),
                recipients.c.member_id,
                code,
                literal(expires_at, Coupon.expires_at.type),
            ),
        )
    )


def issue_coupon(
    tenant: Tenant, prefix: str, member_id: int, owner_columns: dict[str, int], expires_at: dt.datetime
) -> Coupon:
    """One coupon with random digits after `prefix`; drawn again when the code is already taken."""
    for _try in range(SINGLE_CODE_TRIES):
        code = prefix + f"{secrets.randbelow(10**MIN_COUPON_DIGITS):0{MIN_COUPON_DIGITS}d}"
        coupon = Coupon(tenant_id=tenant.id, member_id=member_id, code=code, expires_at=expires_at, **owner_columns)
        savepoint = db.begin_nested()
        db.add(coupon)
        try:
            db.flush()
        except IntegrityError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return coupon
    raise RuntimeError(f"shop {tenant.id}: no free coupon code after prefix {prefix}")
