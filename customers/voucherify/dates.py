"""Dates as the API writes and reads them: ISO 8601, UTC with milliseconds and `Z`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any


def format_date(value: date) -> str:
    """ISO 8601 for a query: datetimes in UTC with milliseconds and `Z` (naive ones are taken
    as UTC), bare dates as `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value.isoformat()


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 string (`Z` or offset); naive values are taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_date(value: Any) -> date | None:
    """A date from `YYYY-MM-DD` (or the date part of a timestamp); anything else gives None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
