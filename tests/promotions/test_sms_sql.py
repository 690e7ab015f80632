"""The SQL text, encoding and parts of a promotion equal sms_shape of the text the preview shows."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, literal, select

from mcrm.db import db
from mcrm.members.models import Member
from mcrm.promotions.sms_sql import (
    GSM_EXTENSION,
    exact_parts,
    maybe_straddled,
    personalise,
    preview_text,
)
from sms_gateway.encoding import sms_shape
from tenants.isolation import scoped_to
from tenants.models import Tenant
from tests.promotions.delivery import add_member

COUPON = "KPW482931"
NAMES = st.one_of(
    st.just(""),
    st.just("   "),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    st.text(st.sampled_from("张三李四王芳 "), max_size=8),
    st.text(st.sampled_from(GSM_EXTENSION.replace("\x0c", "") + "abcé Ø"), max_size=12),
    st.text(st.sampled_from("😀🎉👍a张€"), max_size=8),
)
PIECES = st.sampled_from(
    ["{name}", "{points}", "{coupon}", "{shop}", "{other}", "Hi ", "€", "~", "优惠", "😀", " ", "x" * 40, "y" * 75]
)
SIGNATURES = st.sampled_from(["【Shop A】", "Shop A: ", "[Shop A] "])


def _rows(tenant: Tenant, body: str, members: list[Member]):
    shape = personalise(tenant, body, coupon=literal(COUPON, String))
    query = (
        select(
            Member.id, shape.body, shape.encoding, shape.parts, maybe_straddled(shape.body, shape.encoding, shape.parts)
        )
        .where(Member.tenant_id == tenant.id, Member.id.in_([m.id for m in members]))
        .order_by(Member.id)
    )
    return db.execute(query).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(NAMES, min_size=1, max_size=3),
    body=st.lists(PIECES, min_size=1, max_size=8).map("".join),
    signature=SIGNATURES,
    points=st.sampled_from([0, 7, 12345]),
)
def test_sql_text_encoding_and_parts_match_sms_shape(ctx, shop_a, names, body, signature, points):
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.signature = signature
        try:
            members = [
                add_member(
                    tenant, f"+86139000000{n:02d}", name, locale=[None, "zh_CN", "en"][n % 3], points_balance=points
                )
                for n, name in enumerate(names)
            ]
            for member, (_id, text, encoding, parts, straddled) in zip(
                members, _rows(tenant, body, members), strict=True
            ):
                expected = preview_text(tenant, body, member, coupon=COUPON)
                shape = sms_shape(expected)
                assert (text, encoding) == (expected, shape.encoding)
                # Only rows the SQL flags may need the exact count; every other row is exact already.
                assert (exact_parts(text) if straddled else parts) == shape.count
        finally:
            db.rollback()


def test_a_straddling_extension_character_is_flagged_and_counted_exactly(ctx, shop_a):
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.signature = "Shop A: "
        # "Shop A: " and 144 x: the "€" (two septets) would take septets 153–154, so it starts the second
        # part; the text is 306 septets, two parts by arithmetic but three as sent.
        body = "x" * 144 + "€" + "y" * 126 + " {name}"
        assert sms_shape(preview_text(tenant, body, None).replace("friend", "Ann")).units == 306
        member = add_member(tenant, "+8613900000001", "Ann")
        [(_id, text, encoding, parts, straddled)] = _rows(tenant, body, [member])
        shape = sms_shape(text)
        assert encoding == "GSM-7" and straddled
        assert parts == shape.count - 1 and exact_parts(text) == shape.count
        db.rollback()


def test_unknown_names_read_friend_in_the_members_language(ctx, shop_a):
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        members = [
            add_member(tenant, "+8613900000001", "", locale="zh_CN"),
            add_member(tenant, "+8613900000002", "  ", locale=None),
            add_member(tenant, "+8613900000003", " Ann ", locale="zh_CN"),
        ]
        texts = [row[1] for row in _rows(tenant, "Hi {name}", members)]
        assert [t.split("Hi ")[1].split(" Reply")[0] for t in texts] == ["朋友", "friend", "Ann"]
        db.rollback()


def test_a_name_used_several_times_is_counted_each_time(ctx, shop_a):
    # Seven fallback names make 72 UCS-2 units: two parts, not the one a mis-bracketed sum would give.
    with scoped_to(shop_a.tenant.id):
        tenant = db.get(Tenant, shop_a.tenant.id)
        tenant.signature, tenant.locale = "【Shop A】", "en"
        member = add_member(tenant, "+8613900000001", "", locale=None, points_balance=0)
        ((_id, text, encoding, parts, _straddled),) = _rows(tenant, "{name}" * 7, [member])
        assert text == "【Shop A】" + "friend" * 7 + " Reply STOP to opt out"
        assert (encoding, parts) == ("UCS-2", sms_shape(text).count) == ("UCS-2", 2)
