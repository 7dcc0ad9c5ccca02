"""Display filters for customer data: money in cents, metadata values, activity labels."""

from __future__ import annotations

from typing import Any

from django import template

from customers.forms import activity_label as _activity_label
from customers.forms import metadata_text

register = template.Library()


@register.filter
def cents(value: Any) -> str:
    """An amount in cents as money with two decimals: 123456 -> "1,234.56"."""
    if value is None or value == "":
        return "-"
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    whole, rest = divmod(abs(amount), 100)
    return f"{sign}{whole:,}.{rest:02d}"


@register.filter
def metadata_display(value: Any) -> str:
    """A metadata value as text to read (`true`, `42`, JSON for nested values; null as "null")."""
    return "null" if value is None else metadata_text(value)


@register.filter
def activity_label(value: str) -> str:
    return _activity_label(value or "")
