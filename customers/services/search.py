"""The search box's rules: what a typed query finds, as outcomes the list view renders.

In order: an id or source_id (`get_customer`); then, for an email, the exact email as typed
and, when nobody has it, lower-cased (people type capitals, stored emails rarely have them);
for anything else the exact name; then the name of a segment the dashboard has seen. One
customer found opens the profile; several open the list filtered by that field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customers.services.segments import SEGMENT_ID_PREFIX, KnownSegment, segment_find
from customers.voucherify import NotFound, VoucherifyError, get_client
from customers.voucherify.resources import Customer, CustomerList

# Enough to tell one from several, and a first page to show for several.
SEARCH_PAGE_SIZE = 25


@dataclass(frozen=True)
class CustomerFound:
    """One customer: open the profile. `matched` says how, e.g. "email, lower-cased"."""

    customer: Customer
    matched: str
    value: str


@dataclass(frozen=True)
class CustomersFound:
    """Several customers share `field` = `value`: the list, filtered by it."""

    field: str
    value: str
    matched: str
    result: CustomerList


@dataclass(frozen=True)
class SegmentFound:
    """The query names a segment the dashboard knows: the list of its customers."""

    segment_id: str
    name: str


@dataclass(frozen=True)
class NothingFound:
    """No match: what was tried, for the notice that says what to try next."""

    query: str
    tried: tuple[str, ...]
    is_email: bool


def _by(client, field: str, value: str, matched: str) -> CustomerFound | CustomersFound | None:
    result = client.list_customers(**{field: value}, limit=SEARCH_PAGE_SIZE)
    if not result.customers:
        return None
    if len(result.customers) == 1 and result.total <= 1:
        return CustomerFound(result.customers[0], matched, value)
    return CustomersFound(field, value, matched, result)


def customer_search(
    *, query: str, user
) -> CustomerFound | CustomersFound | SegmentFound | NothingFound:
    """What `query` finds (see the module). Raises `VoucherifyError` when the API fails."""
    client = get_client()
    query = query.strip()
    try:
        customer = client.get_customer(query)
    except NotFound:
        pass
    else:
        matched = "source id" if customer.source_id == query else "id"
        return CustomerFound(customer, matched, query)
    tried = ["id or source id"]
    is_email = "@" in query
    if is_email:
        found = _by(client, "email", query, "email")
        tried.append("email as typed")
        lowered = query.lower()
        if found is None and lowered != query:
            found = _by(client, "email", lowered, "email, lower-cased")
            tried.append("email lower-cased")
    else:
        found = _by(client, "name", query, "name")
        tried.append("exact name")
    if found is not None:
        return found
    if not is_email and not query.startswith(SEGMENT_ID_PREFIX):
        segment = segment_find(text=query)
        if segment is not None:
            return SegmentFound(segment.id, segment.name)
        tried.append("segment name")
    return NothingFound(query, tuple(tried), is_email)


@dataclass(frozen=True)
class ListPage:
    """A page of the customers list, and the segment it is filtered by (id and name)."""

    result: CustomerList
    segment: KnownSegment | None = None


def customers_list_page(*, request: dict[str, Any], user) -> ListPage:
    """One page of GET /v1/customers for the list's `request` keywords; a segment filter is
    named too (from the segments seen, else asked once with `get_segment`; unnamed if that
    fails). Raises `VoucherifyError` when the list cannot be read."""
    result = get_client().list_customers(**request)
    segment_id = request.get("segment_id")
    if not segment_id:
        return ListPage(result)
    try:
        segment = segment_find(text=segment_id)
    except VoucherifyError:
        segment = KnownSegment(segment_id, "")  # the list stands without the segment's name
    return ListPage(result, segment)
