"""Small display filters of the dashboard's own pages."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def duration_words(value: datetime.timedelta | None) -> str:
    """A cool-off time as a person says it: "15 minutes", "1 hour", "1 hour 30 minutes"."""
    if not isinstance(value, datetime.timedelta):
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


@register.filter
def audit_value(value: Any) -> str:
    """A recorded value as a person reads it: lists and objects as JSON (not Python reprs),
    true/false, and ∅ for none. Escaped by the template like any text."""
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
