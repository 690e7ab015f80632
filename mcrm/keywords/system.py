"""The system keywords every shop answers, in Chinese, pinyin initials and English.

Stop and resume act only when they are the whole message (`TD`, ` Stop. `, `回复TD`), never as the start of
a longer text (`T恤多少钱` is not a stop). Keywords that take an argument may be followed by it with or
without a space (`ZC张三`, `ZC 张三`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from mcrm.keywords.normalise import is_edge_noise, normalise, tidy


class Action(enum.StrEnum):
    JOIN = "join"
    POINTS = "points"
    STOP = "stop"
    RESUME = "resume"
    HELP = "help"
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


# Whole-message keywords (already normalised: lower case).
WHOLE = {
    Action.STOP: {
        "td",
        "t",
        "r",
        "退订",
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
    },
    Action.RESUME: {"start", "unstop", "yes", "恢复"},
    Action.HELP: {"bz", "帮助", "help", "?"},
}
# Keywords that may carry an argument. Latin ones need a space or a non-Latin character after them, so
# `JFK` or `joined` are not `JF` or `JOIN`; Chinese ones may run straight on.
WITH_ARGUMENT = {
    Action.JOIN: ("zc", "注册", "join", "reg"),
    Action.POINTS: ("jf", "积分", "points", "pts", "bal"),
    Action.FEEDBACK: ("fk", "反馈", "fb"),
    Action.COMPLAINT: ("ts", "投诉"),
    Action.SUGGESTION: ("jy", "建议"),
}
# Pinyin initials read as Chinese; every other Latin keyword is English (and answered in English).
PINYIN_INITIALS = frozenset({"zc", "jf", "td", "t", "r", "bz", "fk", "ts", "jy"})
ENGLISH_KEYWORDS = frozenset(
    word
    for words in (*WHOLE.values(), *WITH_ARGUMENT.values())
    for word in words
    if word.isascii() and word not in PINYIN_INITIALS
)
# "回复TD", "reply stop": the way SMS footers tell people to answer.
_REPLY_PREFIX = re.compile(r"^(回复|回|reply|text)\s*")
# Free text that plainly asks to stop, for the merchant to see (not acted on by itself).
_ASKS_TO_STOP = re.compile(
    r"(别再发|不要再发|不要发了|别发了|不要再给我发|退订|取消订阅|"
    r"stop (texting|messaging|sending)|don'?t (text|message) me|unsubscribe me|remove me)"
)


@dataclass(frozen=True)
class Match:
    action: Action
    keyword: str
    argument: str  # what followed the keyword, tidied ("" when nothing): for names and birthdays
    typed: str = ""  # the same, exactly as typed (full-width punctuation kept): for feedback to read


def match(text: str, aliases: Mapping[str, Action] | None = None) -> Match | None:
    """The system keyword `text` is, or None. `aliases`: the shop's own extra words (normalised) for
    actions; they follow the same rules as the system word they stand for."""
    if unicodedata.normalize("NFKC", text).strip() == "?":
        return Match(Action.HELP, "?", "")  # all punctuation, so normalising would leave nothing
    shown = tidy(text)
    plain = shown.casefold()
    bare = _REPLY_PREFIX.sub("", plain)
    for action, words in _with_aliases(WHOLE, aliases).items():
        if plain in words or (bare != plain and bare in words):
            return Match(action, bare, "")
    for action, words in _with_aliases(WITH_ARGUMENT, aliases).items():
        for word in sorted(words, key=len, reverse=True):
            argument = argument_after(word, shown, plain)
            if argument is not None:
                return Match(action, word, argument, typed_after(text, word))
    return None


def typed_after(text: str, word: str) -> str:
    """What follows keyword `word` in `text` as the sender typed it: the keyword's characters are counted
    off in their normalised form (`ＦＫ` is two), so full-width punctuation in the rest survives."""
    body = text.strip()
    start = 0
    while start < len(body) and is_edge_noise(body[start]):
        start += 1
    consumed = 0
    for index in range(start, len(body)):
        if consumed >= len(word):
            rest = body[index:]
            skip = 0
            while skip < len(rest) and is_edge_noise(rest[skip]):
                skip += 1  # the space or colon after the keyword: `投诉：…`
            return rest[skip:].rstrip()
        consumed += len(unicodedata.normalize("NFKC", body[index]).casefold())
    return ""


def _with_aliases(table: dict, aliases: Mapping[str, Action] | None) -> dict[Action, tuple[str, ...]]:
    if not aliases:
        return table
    return {
        action: (*words, *(alias for alias, aliased in aliases.items() if aliased == action))
        for action, words in table.items()
    }


def argument_after(word: str, shown: str, plain: str) -> str | None:
    """What follows keyword `word` at the start of a text (`shown` tidied, `plain` its casefold), or None
    when the text does not start with that keyword. Latin keywords need a space or a non-Latin character
    after them, so `JFK` is not `JF` + "K"; Chinese ones may run straight on (`注册张三`)."""
    if not plain.startswith(word):
        return None
    rest = plain[len(word) :]
    if rest and word.isascii() and rest[0].isascii() and rest[0].isalnum():
        return None
    # The argument as typed (case kept): keywords are ASCII or CJK, so folding kept their length.
    return tidy(shown[len(word) :])


def system_words() -> frozenset[str]:
    """Every system keyword, normalised: no shop alias or app may take one."""
    return frozenset(word for words in (*WHOLE.values(), *WITH_ARGUMENT.values()) for word in words)


def asks_to_stop(text: str) -> bool:
    """Whether free text looks like someone asking not to be texted any more."""
    return bool(_ASKS_TO_STOP.search(normalise(text)))
