"""Pagination for every list: page numbers, links that keep the other query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

PAGE_SIZE = 20


def page_number(query: QueryParams, name: str = "page") -> int:
    try:
        return max(int(query.get(name, "1")), 1)
    except ValueError:
        return 1


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap (…)
    url: str
    current: bool = False


@dataclass(frozen=True)
class Pager:
    page: int
    page_size: int
    total: int
    base: str
    params: tuple[tuple[str, str], ...]
    param: str = "page"

    @property
    def pages(self) -> int:
        return max((self.total + self.page_size - 1) // self.page_size, 1)

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.page_size + 1

    @property
    def last_item(self) -> int:
        return min(self.page * self.page_size, self.total)

    def url(self, page: int) -> str:
        params = [(k, v) for k, v in self.params if k != self.param and v != ""] + [(self.param, str(page))]
        return f"{self.base}?{urlencode(params)}"

    @property
    def prev_url(self) -> str | None:
        return self.url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.page + 1) if self.page < self.pages else None

    @property
    def links(self) -> list[PageLink]:
        """1 … 4 5 [6] 7 8 … 20"""
        shown = sorted({1, self.pages, *range(max(self.page - 2, 1), min(self.page + 2, self.pages) + 1)})
        links: list[PageLink] = []
        previous = 0
        for n in shown:
            if n - previous > 1:
                links.append(PageLink(None, ""))
            links.append(PageLink(n, self.url(n), n == self.page))
            previous = n
        return links


def pager(query: QueryParams, base: str, total: int, *, page: int, page_size: int = PAGE_SIZE,
          param: str = "page") -> Pager:
    return Pager(page=page, page_size=page_size, total=total, base=base, params=tuple(query.multi_items()),
                 param=param)
