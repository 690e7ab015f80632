"""The keyword-app pages: the wizard for each type, refused keywords, the look-up table, on/off, the app's
page, permissions and isolation. Texts go through the inbound path, as the gateway and the simulator send them."""

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mcrm.apps.models import AnswerType, AppKind, AppSubscriber, FormQuestion, FormSubmission, KeywordApp, LookupRow
from mcrm.apps.services import parse_lookup_table
from mcrm.db import db
from tenants.isolation import unscoped
from tests.conftest import log_in
from tests.keywords.test_router import text

PHONE = "+8613800138000"


def _apps(app, shop) -> list[KeywordApp]:
    with app.app_context(), unscoped():
        return db.scalars(
            select(KeywordApp)
            .where(KeywordApp.tenant_id == shop.tenant.id)
            .options(selectinload(KeywordApp.questions))
            .order_by(KeywordApp.id)
        ).all()


def _app(app, shop, keyword: str) -> KeywordApp | None:
    return next((a for a in _apps(app, shop) if a.keyword == keyword), None)


def _rows(app, app_id: int) -> list[tuple[str, str, str]]:
    with app.app_context(), unscoped():
        rows = db.scalars(select(LookupRow).where(LookupRow.app_id == app_id).order_by(LookupRow.id))
        return [(r.key, r.shown_key, r.value) for r in rows]


def _make(app, shop, keyword: str, kind: AppKind, **fields) -> int:
    with app.app_context(), unscoped():
        made = KeywordApp(tenant_id=shop.tenant.id, keyword=keyword, kind=kind, name=keyword.upper(), **fields)
        db.add(made)
        db.commit()
        return made.id


def _text(app, body: str, phone: str = PHONE) -> str | None:
    with app.app_context():
        return text(body, phone)


def _start(client, keyword: str, name: str, kind: str) -> int:
    """Step 1 of the wizard; the new app's id."""
    response = client.post("/apps/new", data={"keyword": keyword, "name": name, "kind": kind})
    assert response.status_code == 302, response.text
    assert "/texts?new=1" in response.location
    return int(response.location.split("/apps/")[1].split("/")[0])


def _switch_on(client, app_id: int) -> None:
    response = client.post(f"/apps/{app_id}/review?new=1", data={"enabled": "y"})
    assert response.status_code == 302 and response.location.endswith(f"/apps/{app_id}")


@pytest.fixture
def owner(client, shop_a, shop_b):
    log_in(client, "owner-a@example.com")
    return client


# The list.


def test_the_empty_list_explains_apps_with_an_example(owner):
    page = owner.get("/apps/").text
    assert 'id="no-apps"' in page and "JG 拿铁" in page and "1069001001" in page
    assert 'href="/apps/new"' in page


def test_the_list_shows_each_app_with_its_type_state_and_uses(app, owner, shop_a, shop_b):
    _make(app, shop_a, "xp", AppKind.SUBSCRIPTION, enabled=True, uses=7)
    _make(app, shop_a, "hi", AppKind.AUTO_REPLY, enabled=False, reply_text="Hi")
    _make(app, shop_b, "jg", AppKind.LOOKUP)
    page = owner.get("/apps/").text
    table = page.split('id="apps"', 1)[1]
    assert table.index(">HI<") < table.index(">XP<")
    assert "Subscription list" in table and "Auto-reply" in table and ">7<" in table
    assert "JG" not in table  # shop B's


# The wizard, one type at a time.


def test_an_auto_reply_through_the_wizard_answers_its_keyword(app, owner, shop_a):
    page = owner.get("/apps/new").text
    assert "Auto-reply" in page and "Look-up" in page and "JG 拿铁" in page  # each type with an example
    app_id = _start(owner, "hi", "Welcome", "auto_reply")
    made = _app(app, shop_a, "hi")
    assert (made.kind, made.name, made.enabled) == (AppKind.AUTO_REPLY, "Welcome", False)

    page = owner.get(f"/apps/{app_id}/texts?new=1").text
    assert "{points}" in page and 'data-counter-for="reply_text"' in page
    response = owner.post(f"/apps/{app_id}/texts?new=1", data={"reply_text": "Hello {name}, welcome to {shop}"})
    assert response.status_code == 302 and response.location.endswith(f"/apps/{app_id}/review?new=1")

    page = owner.get(f"/apps/{app_id}/review?new=1").text
    assert "Hello Wang Fang, welcome to Shop A" in page  # the reply as a customer would read it
    assert "checked" in re.search(r'<input[^>]*id="enabled"[^>]*>', page).group(0)  # proposed on, for a new app
    _switch_on(owner, app_id)
    assert _app(app, shop_a, "hi").enabled
    assert _text(app, "hi").endswith("Hello friend, welcome to Shop A")  # a stranger: no name known


def test_an_auto_reply_needs_its_text_and_known_placeholders(app, owner, shop_a):
    app_id = _start(owner, "HI", "Welcome", "auto_reply")
    assert "Write the reply." in owner.post(f"/apps/{app_id}/texts", data={"reply_text": " "}).text
    page = owner.post(f"/apps/{app_id}/texts", data={"reply_text": "Hello {nmae}"}).text
    assert "{nmae} is not a placeholder here. Use {name}, {points}, {shop}." in page
    assert _app(app, shop_a, "hi").reply_text == ""


def test_a_subscription_list_through_the_wizard_takes_members_on(app, owner, shop_a):
    app_id = _start(owner, "XP", "New products", "subscription")
    page = owner.get(f"/apps/{app_id}/texts?new=1").text
    assert "Optional" in page and 'data-counter-for="leave_text"' in page
    assert owner.post(f"/apps/{app_id}/texts?new=1", data={"reply_text": "", "leave_text": ""}).status_code == 302
    _switch_on(owner, app_id)
    assert "You are on the list New products" in _text(app, "XP")

    page = owner.get(f"/apps/{app_id}").text
    assert 'id="subscriber-count">1<' in page and 'id="uses">1<' in page and PHONE in page
    assert "XP TD" in page  # how to leave


def test_a_look_up_keeps_the_good_rows_and_reports_the_bad_lines_by_number(app, owner, shop_a):
    app_id = _start(owner, "jg", "Prices", "lookup")
    table = "拿铁, 28元\n美式：22元\n\n卡布奇诺\n, 30元\n拿铁, 30元\nFlat White\t26元\t大杯\n营业时间 10:00-22:00"
    response = owner.post(f"/apps/{app_id}/texts?new=1", data={"table": table, "reply_text": "{key}: {value}"})
    assert response.status_code == 200  # the owner stays to fix the lines
    page = response.text
    assert "4 rows are saved" in page
    assert "Line 4" in page and "卡布奇诺" in page and "no answer after the key" in page
    assert "Line 5" in page and "no key" in page
    assert "Line 6" in page and "拿铁 is already on line 1" in page
    assert "Line 1 " not in page and "Line 7" not in page
    assert "Flat White\t26元" in page  # the text as typed, to fix
    assert _rows(app, app_id) == [
        ("拿铁", "拿铁", "28元"),
        ("美式", "美式", "22元"),
        ("flat white", "Flat White", "26元 大杯"),
        ("营业时间", "营业时间", "10:00-22:00"),
    ]
    _switch_on(owner, app_id)
    assert _text(app, "JG 拿铁").endswith("拿铁: 28元")
    assert _text(app, "jg flat white", phone="+8613800138001").endswith("Flat White: 26元 大杯")
    page = owner.get(f"/apps/{app_id}").text
    assert 'id="lookup-rows"' in page and "22元" in page and 'id="uses">2<' in page


def test_a_look_up_needs_a_row(app, owner, shop_a):
    app_id = _start(owner, "jg", "Prices", "lookup")
    assert "Write at least one row" in owner.post(f"/apps/{app_id}/texts", data={"table": "\n \n"}).text


def test_editing_the_table_replaces_it_and_shows_it_as_lines(app, owner, shop_a):
    app_id = _start(owner, "jg", "Prices", "lookup")
    owner.post(f"/apps/{app_id}/texts", data={"table": "拿铁, 28元\n美式, 22元"})
    assert "拿铁, 28元\n美式, 22元" in owner.get(f"/apps/{app_id}/texts").text
    owner.post(f"/apps/{app_id}/texts", data={"table": "美式, 20元"})
    assert _rows(app, app_id) == [("美式", "美式", "20元")]


@pytest.mark.parametrize(
    ("line", "row"),
    [
        ("拿铁,28元", ("拿铁", "28元")),
        ("拿铁，28元", ("拿铁", "28元")),
        ("拿铁：28元", ("拿铁", "28元")),
        ("拿铁: 28元", ("拿铁", "28元")),
        ("拿铁\t28元", ("拿铁", "28元")),
        ("拿铁 28元", ("拿铁", "28元")),
        ("拿铁\u300028元", ("拿铁", "28元")),
        ("Iced latte, 30 (large)", ("Iced latte", "30 (large)")),
        ("hours 10:00-22:00", ("hours", "10:00-22:00")),
        ("  ｌａｔｔｅ , 28元  ", ("latte", "28元")),
    ],
)
def test_a_table_line_splits_at_the_first_separator(line, row):
    good, bad = parse_lookup_table(line)
    assert not bad and [(g.shown_key, g.value) for g in good] == [row]


def test_a_form_through_the_wizard_collects_answers_and_shows_them(app, owner, shop_a):
    app_id = _start(owner, "YD", "Table booking", "form")
    page = owner.get(f"/apps/{app_id}/texts?new=1").text
    assert page.count('name="questions-') == 2 * 5  # five blank rows: prompt and answer type
    # More rows without JavaScript: the page comes back with three more, nothing saved yet.
    page = owner.post(f"/apps/{app_id}/texts?new=1", data={"questions-0-prompt": "Which day?", "more": "1"}).text
    assert page.count('name="questions-') == 2 * 8 and 'value="Which day?"' in page
    assert _app(app, shop_a, "yd").questions == []

    assert "Add at least one question." in owner.post(f"/apps/{app_id}/texts", data={"questions-0-prompt": ""}).text
    data = {
        "questions-0-prompt": "Which day?",
        "questions-0-answer_type": "date",
        "questions-1-prompt": "",
        "questions-1-answer_type": "text",
        "questions-2-prompt": "How many people?",
        "questions-2-answer_type": "number",
        "reply_text": "See you, {name}!",
        "notify_shop": "y",
    }
    response = owner.post(f"/apps/{app_id}/texts?new=1", data=data)
    assert response.status_code == 302
    made = _app(app, shop_a, "yd")
    assert [(q.position, q.prompt, q.answer_type) for q in made.questions] == [
        (0, "Which day?", AnswerType.DATE),
        (1, "How many people?", AnswerType.NUMBER),
    ]
    assert made.notify_shop and made.reply_text == "See you, {name}!"
    page = owner.get(f"/apps/{app_id}/review?new=1").text
    assert "Which day?" in page and "A date" in page and "is texted to the owner" in page
    _switch_on(owner, app_id)

    assert _text(app, "yd").endswith("Which day?")
    assert _text(app, "12月24日").endswith("How many people?")
    assert _text(app, "4个人").endswith("See you, friend!")  # no name known
    page = owner.get(f"/apps/{app_id}").text
    assert 'id="uses">1<' in page and 'id="submission-count">1<' in page
    submissions = page.split('id="submissions"', 1)[1].split("</table>", 1)[0]
    assert "Which day?" in submissions and "How many people?" in submissions
    assert "-12-24</td>" in submissions and "<td>4</td>" in submissions and PHONE in submissions

    csv = owner.get(f"/apps/{app_id}/submissions.csv")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Time,Phone,Name,Which day?,How many people?,Answers to earlier questions"
    assert lines[1].split(",")[1:] == ["13800138000", "", lines[1].split(",")[3], "4", ""]


def test_editing_a_form_keeps_older_answers_under_their_own_questions(app, owner, shop_a):
    app_id = _make(app, shop_a, "yd", AppKind.FORM, enabled=True)
    with app.app_context(), unscoped():
        db.add(FormQuestion(tenant_id=shop_a.tenant.id, app_id=app_id, position=0, prompt="Party size?"))
        db.add(
            FormSubmission(
                tenant_id=shop_a.tenant.id,
                app_id=app_id,
                phone=PHONE,
                answers=[{"question": "Old question?", "answer": "yes"}, {"question": "Party size?", "answer": "3"}],
            )
        )
        db.commit()
    page = owner.get(f"/apps/{app_id}").text
    assert "Answers to earlier questions" in page and "Old question?: yes" in page and "<td>3</td>" in page


# Keywords that cannot be taken.


@pytest.mark.parametrize(
    ("keyword", "problem"),
    [
        ("JF", "JF is a system keyword."),
        ("积分卡", "积分卡 would be read as the system keyword 积分."),
        ("XP", "XP is already used by the app News."),
        ("ｘｐ", "XP is already used by the app News."),
        ("Xp", "XP is already used by the app News."),
        ("two words", "A keyword is one word, without spaces."),
    ],
)
def test_a_keyword_taken_by_the_system_or_another_app_is_refused(app, owner, shop_a, shop_b, keyword, problem):
    with app.app_context(), unscoped():
        db.add(KeywordApp(tenant_id=shop_a.tenant.id, keyword="xp", kind=AppKind.SUBSCRIPTION, name="News"))
        db.commit()
    response = owner.post("/apps/new", data={"keyword": keyword, "name": "Mine", "kind": "auto_reply"})
    assert response.status_code == 200 and problem in response.text
    assert len(_apps(app, shop_a)) == 1


def test_another_shops_keyword_is_free_and_an_app_keeps_its_own(app, owner, shop_a, shop_b):
    _make(app, shop_b, "xp", AppKind.SUBSCRIPTION)
    app_id = _start(owner, "xp", "News", "subscription")
    response = owner.post(
        f"/apps/{app_id}/edit", data={"keyword": "XP", "name": "New products", "kind": "subscription"}
    )
    assert response.status_code == 302 and response.location.endswith(f"/apps/{app_id}/texts")
    other = _start(owner, "hi", "Hi", "auto_reply")
    response = owner.post(f"/apps/{other}/edit", data={"keyword": "xp", "name": "Hi", "kind": "auto_reply"})
    assert "XP is already used by the app New products." in response.text


def test_a_new_type_switches_an_unused_app_off_until_its_texts_are_done(app, owner, shop_a):
    app_id = _make(app, shop_a, "hi", AppKind.AUTO_REPLY, enabled=True, reply_text="Hi")
    owner.post(f"/apps/{app_id}/edit", data={"keyword": "hi", "name": "Hi", "kind": "form"})
    made = _app(app, shop_a, "hi")
    assert made.kind == AppKind.FORM and not made.enabled


def test_the_type_stays_once_the_app_has_been_used(app, owner, shop_a):
    app_id = _make(app, shop_a, "xp", AppKind.SUBSCRIPTION, uses=3)
    page = owner.get(f"/apps/{app_id}/edit").text
    assert 'name="kind"' not in page and "its type stays" in page
    owner.post(f"/apps/{app_id}/edit", data={"keyword": "xp", "name": "News", "kind": "form"})
    assert _app(app, shop_a, "xp").kind == AppKind.SUBSCRIPTION


# On and off, delete.


def test_switched_off_the_keyword_no_longer_answers(app, owner, shop_a):
    app_id = _make(app, shop_a, "hi", AppKind.AUTO_REPLY, enabled=True, reply_text="Welcome!")
    assert _text(app, "HI").endswith("Welcome!")
    response = owner.post(f"/apps/{app_id}/switch", data={"enabled": "0"}, follow_redirects=True)
    assert "HI is saved and off" in response.text and "Switch on" in response.text
    assert "Welcome!" not in _text(app, "HI", phone="+8613800138001")
    assert "Text ZC to join" in _text(app, "HI", phone="+8613800138002")
    owner.post(f"/apps/{app_id}/switch", data={"enabled": "1"})
    assert _text(app, "HI", phone="+8613800138003").endswith("Welcome!")


def test_an_unfinished_app_cannot_be_switched_on(app, owner, shop_a):
    app_id = _make(app, shop_a, "yd", AppKind.FORM, enabled=False)
    response = owner.post(f"/apps/{app_id}/switch", data={"enabled": "1"}, follow_redirects=True)
    assert "The form has no questions yet." in response.text
    response = owner.post(f"/apps/{app_id}/review", data={"enabled": "y"})
    assert response.status_code == 200 and "The form has no questions yet." in response.text
    assert not _app(app, shop_a, "yd").enabled


def test_delete_asks_for_confirmation_and_frees_the_keyword(app, owner, shop_a):
    app_id = _make(app, shop_a, "xp", AppKind.SUBSCRIPTION, enabled=True)
    _text(app, "XP")
    page = owner.get(f"/apps/{app_id}/delete").text
    assert "The list of 1 member goes too" in page
    assert "Tick the box to confirm." in owner.post(f"/apps/{app_id}/delete", data={}).text
    assert _app(app, shop_a, "xp") is not None
    response = owner.post(f"/apps/{app_id}/delete", data={"confirm": "y"})
    assert response.status_code == 302 and response.location.endswith("/apps/")
    assert _apps(app, shop_a) == []
    with app.app_context(), unscoped():
        assert db.scalars(select(AppSubscriber)).all() == []
    _start(owner, "xp", "Again", "subscription")


# Who may.


def test_staff_and_strangers_may_not_manage_apps(app, client, shop_a):
    app_id = _make(app, shop_a, "hi", AppKind.AUTO_REPLY, reply_text="Hi")
    urls = ["/apps/", "/apps/new", f"/apps/{app_id}", f"/apps/{app_id}/edit", f"/apps/{app_id}/texts"]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    log_in(client, "staff-a@example.com")
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(f"/apps/{app_id}/switch", data={"enabled": "0"}).status_code == 403
    assert _app(app, shop_a, "hi").enabled
    assert 'href="/apps/"' not in client.get("/members/").text


def test_another_shops_app_answers_404(app, client, shop_a, shop_b):
    app_id = _make(app, shop_a, "hi", AppKind.AUTO_REPLY, reply_text="Hi")
    log_in(client, "owner-b@example.com")
    for url in ("", "/edit", "/texts", "/review", "/delete", "/submissions.csv"):
        assert client.get(f"/apps/{app_id}{url}").status_code == 404
    assert client.post(f"/apps/{app_id}/switch", data={"enabled": "0"}).status_code == 404
    assert client.post(f"/apps/{app_id}/delete", data={"confirm": "y"}).status_code == 404
    assert 'id="no-apps"' in client.get("/apps/").text and _app(app, shop_a, "hi").enabled
