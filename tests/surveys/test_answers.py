"""A consumer's reply read as a survey answer, and the question as the SMS shows it."""

from __future__ import annotations

import pytest

from mcrm.surveys.answers import allowed_hint, parse_answer, question_text
from mcrm.surveys.models import QuestionKind, SurveyQuestion

DISHES = ["红烧肉", "Fried rice", "和牛"]


def question(kind: QuestionKind, options=(), prompt="?") -> SurveyQuestion:
    return SurveyQuestion(prompt=prompt, kind=kind, options=list(options))


def choices(kind, text, options=DISHES):
    parsed = parse_answer(question(kind, options), text)
    return parsed.choices if parsed else None


def number(kind, text):
    parsed = parse_answer(question(kind), text)
    return parsed.number if parsed else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", [0]),
        ("３", [2]),  # full-width digit
        ("b", [1]),
        ("Ｂ", [1]),  # full-width letter
        ("a.", [0]),
        ("1、", [0]),
        (" C ", [2]),
        ("红烧肉", [0]),
        ("fried RICE", [1]),
        ("和牛", [2]),
        ("4", None),  # only three options
        ("D", None),
        ("0", None),
        ("Fried", None),  # a prefix is not the option
        ("1 2", None),
        ("", None),
        ("。", None),
    ],
)
def test_single_choice(text, expected):
    assert choices(QuestionKind.SINGLE, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 3", [0, 2]),
        ("A,C", [0, 2]),
        ("1、3", [0, 2]),
        ("1，3", [0, 2]),
        ("AC", [0, 2]),
        ("ca", [0, 2]),
        ("13", [0, 2]),
        ("3 1 3", [0, 2]),  # sorted, once each
        ("1和3", [0, 2]),
        ("a and b", [0, 1]),
        ("和牛", [2]),  # an option's own 和 is no separator
        ("Fried rice, 和牛", [1, 2]),
        ("２", [1]),
        ("1 4", None),  # all must be valid
        ("AD", None),
        ("hello", None),
        ("", None),
    ],
)
def test_multiple_choice(text, expected):
    assert choices(QuestionKind.MULTIPLE, text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (QuestionKind.RATING5, "5", 5),
        (QuestionKind.RATING5, "５分", 5),
        (QuestionKind.RATING5, "四", 4),
        (QuestionKind.RATING5, "1星", 1),
        (QuestionKind.RATING5, "0", None),
        (QuestionKind.RATING5, "6", None),
        (QuestionKind.RATING5, "4.5", None),
        (QuestionKind.RATING5, "good", None),
        (QuestionKind.RATING10, "0", 0),
        (QuestionKind.RATING10, "10", 10),
        (QuestionKind.RATING10, "１０", 10),
        (QuestionKind.RATING10, "十", 10),
        (QuestionKind.RATING10, "零", 0),
        (QuestionKind.RATING10, "9分", 9),
        (QuestionKind.RATING10, "11", None),
        (QuestionKind.RATING10, "9 or 10", None),
        (QuestionKind.NUMBER, "3个", 3),
        (QuestionKind.NUMBER, "３", 3),
        (QuestionKind.NUMBER, "about 2.5 kg", 2.5),
        (QuestionKind.NUMBER, "两个", 2),
        (QuestionKind.NUMBER, "many", None),
    ],
)
def test_ratings_and_numbers(kind, text, expected):
    assert number(kind, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", [0]),
        ("对", [0]),
        ("Y", [0]),
        ("ｙｅｓ", [0]),
        ("否", [1]),
        ("不是", [1]),
        ("不", [1]),
        ("n", [1]),
        ("NO!", [1]),
        ("maybe", None),
        ("1", None),
    ],
)
def test_yes_no(text, expected):
    assert choices(QuestionKind.YES_NO, text, options=()) == expected


def test_free_text_is_kept_as_typed():
    parsed = parse_answer(question(QuestionKind.TEXT), "  菜有点咸，服务很好！ ")
    assert parsed.text == "菜有点咸，服务很好！" and parsed.choices is None and parsed.number is None
    assert parse_answer(question(QuestionKind.TEXT), "👍").text == "👍"
    assert parse_answer(question(QuestionKind.TEXT), "   ") is None


def test_the_answer_keeps_the_text_as_typed():
    parsed = parse_answer(question(QuestionKind.SINGLE, DISHES), " Ｂ ")
    assert parsed.text == "Ｂ" and parsed.choices == [1]


def test_question_text_numbers_the_options_and_shows_the_scale(ctx):
    shown = question_text(question(QuestionKind.SINGLE, DISHES, "点了什么？"))
    assert shown == "点了什么？\n1. 红烧肉\n2. Fried rice\n3. 和牛"
    several = question_text(question(QuestionKind.MULTIPLE, DISHES, "What did you eat?"))
    assert several.startswith("What did you eat?\n(one or more, e.g. 1 2)\n1. 红烧肉")
    assert question_text(question(QuestionKind.RATING5, prompt="味道？")) == "味道？ (1–5)"
    assert question_text(question(QuestionKind.RATING10, prompt="推荐？")) == "推荐？ (0–10)"
    assert question_text(question(QuestionKind.YES_NO, prompt="Again?")) == "Again? (Y/N)"
    assert question_text(question(QuestionKind.TEXT, prompt="意见？")) == "意见？"


@pytest.mark.parametrize(
    ("kind", "options", "hint"),
    [
        (QuestionKind.SINGLE, DISHES, "Please answer 1–3 or A–C."),
        (QuestionKind.MULTIPLE, DISHES[:2], "Please answer one or more of 1–2 or A–B, e.g. 1 2."),
        (QuestionKind.RATING5, (), "Please answer a number from 1 to 5."),
        (QuestionKind.RATING10, (), "Please answer a number from 0 to 10."),
        (QuestionKind.YES_NO, (), "Please answer 是 or 否 (Y or N)."),
        (QuestionKind.NUMBER, (), "Please answer with a number."),
    ],
)
def test_allowed_hint_lists_the_allowed_answers(ctx, kind, options, hint):
    assert allowed_hint(question(kind, options), "en") == hint
