"""The RFM pages: the grid's counts, a class's member list and its CSV, who may export, and shop B unseen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mcrm.analytics.models import MemberScore, RfmClass
from mcrm.db import db, utcnow
from mcrm.members.models import Source
from tenants.isolation import unscoped
from tests.analytics.test_figures import _member
from tests.conftest import log_in


def _score(member, rfm_class, r, f, m, monetary):
    db.add(
        MemberScore(
            tenant_id=member.tenant_id,
            member_id=member.id,
            recency_days=3,
            frequency=f,
            monetary=Decimal(monetary),
            r=r,
            f=f,
            m=m,
            rfm_class=rfm_class,
            computed_at=utcnow(),
        )
    )


@pytest.fixture
def scored(app, shops) -> dict[str, int]:
    """Shop A: two champions and one lost member; shop B: a champion who must never appear in A's pages."""
    a, b = (s.tenant.id for s in shops)
    joined = utcnow() - dt.timedelta(days=400)
    with app.app_context(), unscoped():
        wang = _member(a, "+8613800000001", "王芳", joined, Source.SMS, "500")
        li = _member(a, "+8613800000002", "=Li", joined, Source.SMS, "900")  # a formula-looking name
        zhao = _member(a, "+8613800000003", "Zhao", joined, Source.SMS)
        other = _member(b, "+8613800000009", "Other shop", joined, Source.SMS, "9999")
        _score(wang, RfmClass.CHAMPIONS, 5, 4, 5, "500")
        _score(li, RfmClass.CHAMPIONS, 5, 5, 5, "900")
        _score(zhao, RfmClass.LOST, 1, 1, 1, "0")
        _score(other, RfmClass.CHAMPIONS, 5, 5, 5, "9999")
        db.commit()
        return {"wang": wang.id, "li": li.id, "zhao": zhao.id, "other": other.id}


def _row(page: str, rfm_class: str) -> str:
    start = page.index(f'id="class-{rfm_class}"')
    return page[start : page.index("</tr>", start)]


def test_the_grid_counts_the_shops_members_per_class(client, scored):
    log_in(client, "staff-a@example.com")
    page = client.get("/analytics/rfm").get_data(as_text=True)
    champions = _row(page, "champions")
    assert '<td class="count">2</td>' in champions and "67%" in champions
    assert 'href="/analytics/rfm/champions"' in champions
    assert '<td class="count">1</td>' in _row(page, "lost") and '<td class="count">0</td>' in _row(page, "loyal")
    assert 'id="rfm-grid"' in page and 'action="/analytics/rfm/refresh?next=/analytics/rfm"' in page


def test_a_class_lists_its_members_biggest_spenders_first(client, scored):
    log_in(client, "staff-a@example.com")
    page = client.get("/analytics/rfm/champions").get_data(as_text=True)
    members = page[page.index('id="class-members"') :]
    assert members.index(f'/members/{scored["li"]}"') < members.index(f'/members/{scored["wang"]}"')
    assert f'/members/{scored["zhao"]}"' not in members
    assert "Other shop" not in page and f'/members/{scored["other"]}"' not in page
    assert "5 / 4 / 5" in members and "Bought very recently" in page and 'id="promotion-note"' in page
    assert 'id="export"' not in page  # staff do not export


def test_owners_export_a_class_as_csv(client, scored):
    log_in(client, "owner-a@example.com")
    assert 'href="/analytics/rfm/champions/export.csv"' in client.get("/analytics/rfm/champions").get_data(True)
    response = client.get("/analytics/rfm/champions/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mobile,Name,Recency score")
    assert lines[1:] == [
        "13800000002,'=Li,5,5,5,5,900.00,,900.00",
        "13800000001,王芳,5,4,5,4,500.00,,500.00",
    ]


def test_staff_may_not_export(client, scored):
    log_in(client, "staff-a@example.com")
    assert client.get("/analytics/rfm/champions/export.csv").status_code == 403


def test_an_unknown_class_is_not_found(client, scored):
    log_in(client, "owner-a@example.com")
    assert client.get("/analytics/rfm/vip").status_code == 404
    assert client.get("/analytics/rfm/vip/export.csv").status_code == 404


def test_shop_b_sees_only_its_own_member(client, scored):
    log_in(client, "owner-b@example.com")
    page = client.get("/analytics/rfm/champions").get_data(as_text=True)
    assert f'/members/{scored["other"]}"' in page and "王芳" not in page and "=Li" not in page
    csv = client.get("/analytics/rfm/champions/export.csv").get_data().decode("utf-8-sig")
    assert "Other shop" in csv and "王芳" not in csv


def test_the_wap_page_shows_the_class_counts(client, scored):
    log_in(client, "staff-a@example.com", path="/m/login")
    page = client.get("/m/today").get_data(as_text=True)
    counts = page[page.index('id="rfm-classes"') :]
    assert '<th align="left">Champions</th><td>2</td>' in counts and "<td>1</td>" in counts
