"""The page of a long list that a request asks for (`?page=N`), kept within the pages there are."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy import Select

PER_PAGE = 50


@dataclass(frozen=True)
class PageChoice:
    page: int  # 1-based
    pages: int  # at least 1, so an empty list still has a page to show

    def of(self, query: Select) -> Select:
        """`query` limited to this page's rows."""
        return query.limit(PER_PAGE).offset((self.page - 1) * PER_PAGE)


def page_choice(total: int) -> PageChoice:
    pages = max(1, -(-total // PER_PAGE))
    return PageChoice(min(max(1, request.args.get("page", 1, type=int)), pages), pages)
