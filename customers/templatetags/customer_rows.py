"""The customers list's rows, built in Python.

A page of 100 customers was the dashboard's most expensive render: about 20 template nodes per
row (url, perms, filters) cost more than everything else in the request together. This tag
writes the same markup with one escape per value (bench/pages.py, "list, 100 rows").
"""

from __future__ import annotations

from functools import cache
from html import escape
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone

from dashboard.templatetags.fast_date import time_element

register = template.Library()

_MARKER = "customer-id-marker"
# What `reverse` leaves unquoted in a path (django.urls.resolvers), less "/": an id is one segment.
_SAFE = "!$&'()*+,;=~:@"


@cache
def _profile_url_parts(prefix: str, urlconf) -> tuple[str, str]:
    before, after = reverse("customers:detail", args=[_MARKER], urlconf=urlconf).split(_MARKER)
    return before, after


def profile_url(customer_id: str) -> str:
    """`{% url 'customers:detail' customer_id %}`, without resolving the pattern per row."""
    before, after = _profile_url_parts(get_script_prefix(), get_urlconf())
    return f"{before}{quote(customer_id, safe=_SAFE)}{after}"


@register.simple_tag
def customer_rows(customers, selectable: bool = False) -> SafeString:
    """One `<tr>` per customer: name (to the profile), email, phone, source id, city, created;
    with `selectable`, a first cell with the bulk form's checkbox.

    `html.escape` is what Django's `escape` calls, without its lazy-string wrapper (a tenth of
    the tag's time); the zone and the profile URL's parts are looked up once, not per row."""
    zone = get_current_timezone()
    before, after = _profile_url_parts(get_script_prefix(), get_urlconf())
    rows = []
    for customer in customers:
        shown = escape(customer.name or customer.id or "")
        cells = []
        if selectable:
            value = f"s:{customer.source_id}" if customer.source_id else f"c:{customer.id}"
            cells.append(
                f'<td><input type="checkbox" name="selected" form="bulk-form"'
                f' value="{escape(value)}" aria-label="Select {shown}"></td>'
            )
        address = customer.address
        url = f"{before}{quote(customer.id or '', safe=_SAFE)}{after}"
        cells += [
            f'<td><a href="{escape(url)}">{shown}</a></td>',
            f'<td data-label="Email">{escape(customer.email or "")}</td>',
            f'<td data-label="Phone">{escape(customer.phone or "")}</td>',
            f'<td data-label="Source id"><code>{escape(customer.source_id or "")}</code></td>',
            f'<td data-label="City">{escape((address and address.city) or "")}</td>',
            f'<td data-label="Created">{time_element(customer.created_at, zone)}</td>',
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
