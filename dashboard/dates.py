"""One definition of a day for every date filter: the user's day in `settings.TIME_ZONE`."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings

# The API's timestamps have millisecond precision: a day ends at its last millisecond.
LAST_MILLISECOND = datetime.time(23, 59, 59, 999000)


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first and the last millisecond of `day` in `settings.TIME_ZONE`, as aware datetimes.

    Both ends are inclusive: `start <= t <= end` is "on that day", for the API's
    `[after]`/`[before]` ranges and for the audit log's queries alike.
    """
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(day, LAST_MILLISECOND, tzinfo=zone)
    return start, end


def day_start(day: datetime.date) -> datetime.datetime:
    return day_bounds(day)[0]


def day_end(day: datetime.date) -> datetime.datetime:
    return day_bounds(day)[1]
