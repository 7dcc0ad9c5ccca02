"""How a list is paged, said once: page numbers up to the API's cap of 99, then the created_at
`starting_after` cursor (API_NOTES quirks 11, 12), as stripe-python's `ListObject` knows the
request it answered.

`ListRequest` is the position half of a GET /v1/customers (page size, order, page or cursor);
the client sends it and attaches it to the `CustomerList` it returns, whose `pager` is a
`Pager`: what the one pager template (`includes/_pagination.html`) shows. `Pager.numbered`
gives the same object for lists paged by number alone (the audit log's Django pages).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from customers.voucherify.dates import format_date, parse_datetime

if TYPE_CHECKING:
    from customers.voucherify.resources import CustomerList

MAX_PAGE = 99  # ParameterPage99: the API refuses page 100
API_DEFAULT_LIMIT = 10
PAGE_WINDOW = 3  # page links shown either side of the current page
# The cursor compares created_at: only lists ordered by creation can be walked with it.
CURSOR_ORDERS = frozenset({None, "created_at", "-created_at"})
ASCENDING_ORDER = "created_at"
# `starting_after` cursors of the JS SDK's scroll() (quirk 12).
CURSOR_ASCENDING_START = "1970-01-01T00:00:00Z"
CURSOR_DESCENDING_START = "2200-01-01T00:00:00Z"

DateLike = datetime | date | str


def cursor_allowed(order: str | None) -> bool:
    """Whether the created_at cursor walks a list in `order` without skipping anyone."""
    return order in CURSOR_ORDERS


def page_window(page: int, last: int) -> tuple[int | None, ...]:
    """Page numbers around `page`, with the first and the last; None marks a gap."""
    shown = sorted({1, last, *range(max(1, page - PAGE_WINDOW), min(last, page + PAGE_WINDOW) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return tuple(links)


@dataclass(frozen=True)
class ListRequest:
    """Where a page of the customers list is: a page number, or a created_at cursor.

    `starting_after` asks for the rows that follow a created_at in the list's direction;
    `ending_before` for the rows just before it, which the API cannot say: it is asked as
    `starting_after` in the opposite order, and the rows are given back in this one."""

    limit: int | None = None
    order: str | None = None
    page: int | None = None
    starting_after: DateLike | None = None
    ending_before: DateLike | None = None

    @property
    def ascending(self) -> bool:
        return self.order == ASCENDING_ORDER

    @property
    def backward(self) -> bool:
        return self.ending_before is not None

    @property
    def cursor(self) -> DateLike | None:
        return self.ending_before if self.backward else self.starting_after

    @property
    def shown_page(self) -> int:
        return min(self.page or 1, MAX_PAGE)

    def query(self) -> dict[str, Any]:
        """The position as GET /v1/customers parameters (None ones are not sent)."""
        if self.backward:
            # The flipped order: descending is the cursor's default, sent without `order`.
            order = None if self.ascending else ASCENDING_ORDER
            return {"limit": self.limit, "order": order, "starting_after": self.ending_before}
        order = self.order
        if self.starting_after is not None and order == "-created_at":
            order = None  # the documented descending cursor is the default order
        return {
            "limit": self.limit,
            # A deep link past the cap shows the last numbered page rather than an error.
            "page": None if self.page is None else self.shown_page,
            "order": order,
            "starting_after": self.starting_after,
        }


@dataclass(frozen=True)
class Pager:
    """What a pager shows: the position, page links, and the cursors past the numbers.

    `page` is None in cursor mode (past page 99, or a cursor link opened directly); `cursor`
    is then where the rows start and `relation` whether they were created "before" or
    "after" it. `forward` and `backward` are the `starting_after` and `ending_before` values
    of the links that follow and precede the page, named by `forward_word`/`backward_word`.
    """

    page: int | None = 1
    pages: int = 1
    last_page: int = 1  # the last page a number reaches
    forward: str | None = None
    backward: str | None = None
    ascending: bool = False
    cursor_continues: bool = False  # the cursor can go past the last numbered page
    cursor: datetime | None = None
    relation: str | None = None

    @classmethod
    def numbered(cls, page: int, pages: int) -> Pager:
        """A list paged by number only (no cap, no cursor): a Django Paginator's page."""
        return cls(page=page, pages=max(1, pages), last_page=max(1, pages))

    @classmethod
    def for_customers(cls, request: ListRequest, result: CustomerList) -> Pager:
        """The pager of one GET /v1/customers answer to `request`."""
        stamps = [c.created_at for c in result.customers if c.created_at is not None]
        first = format_date(stamps[0]) if stamps else None
        last = format_date(stamps[-1]) if stamps else None
        continues = cursor_allowed(request.order)
        if request.cursor is not None:
            more = result.has_more is not False
            # Backward, the API walked the other way: has_more speaks of the rows before.
            earlier = request.backward == request.ascending  # rows created before the cursor
            return cls(
                page=None,
                pages=_page_count(result.total, request.limit),
                last_page=MAX_PAGE,
                forward=last if (more or request.backward) else None,
                backward=first if (more or not request.backward) else None,
                ascending=request.ascending,
                cursor_continues=continues,
                cursor=parse_datetime(request.cursor),
                relation="before" if earlier else "after",
            )
        pages = _page_count(result.total, request.limit)
        page, last_page = request.shown_page, min(pages, MAX_PAGE)
        at_cap = page == last_page < pages  # the last numbered page, with more after it
        return cls(
            page=page,
            pages=pages,
            last_page=last_page,
            forward=last if at_cap and continues else None,
            ascending=request.ascending,
            cursor_continues=continues,
        )

    @property
    def mode(self) -> str:
        return "pages" if self.page is not None else "cursor"

    @property
    def beyond_numbers(self) -> bool:
        """More pages than numbers reach (over 99 in the customers list)."""
        return self.pages > self.last_page

    @property
    def pages_label(self) -> str:
        """The page count shown: "3", or "100+" past the numbers, as the links agree."""
        return f"{self.last_page + 1}+" if self.beyond_numbers else str(self.pages)

    @property
    def capped(self) -> bool:
        """At the last numbered page with more rows, and no cursor to reach them."""
        return self.page == self.last_page and self.beyond_numbers and not self.cursor_continues

    @property
    def links(self) -> Sequence[int | None]:
        return page_window(self.page, self.last_page) if self.page is not None else ()

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page is not None and self.page > 1 else None

    @property
    def next(self) -> int | None:
        if self.page is None or self.page >= self.last_page:
            return None
        return self.page + 1

    @property
    def forward_word(self) -> str:
        return "Newer" if self.ascending else "Older"

    @property
    def backward_word(self) -> str:
        return "Older" if self.ascending else "Newer"

    @property
    def has_links(self) -> bool:
        return self.mode == "cursor" or self.last_page > 1 or self.forward is not None


def _page_count(total: int, limit: int | None) -> int:
    return max(1, math.ceil(total / (limit or API_DEFAULT_LIMIT)))
