"""One definition of a day for every date filter: the user's day in settings.TIME_ZONE."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from customers.forms import ActivityFilterForm
from customers.list_forms import CustomerFilterForm
from dashboard.audit_forms import AuditFilterForm
from dashboard.dates import day_bounds
from dashboard.models import AuditEntry

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
DAY = datetime.date(2024, 7, 1)


@pytest.fixture
def in_warsaw(settings):
    settings.TIME_ZONE = "Europe/Warsaw"


def test_day_bounds_are_the_first_and_last_millisecond_in_the_time_zone(in_warsaw):
    start, end = day_bounds(DAY)

    assert start == datetime.datetime(2024, 7, 1, tzinfo=WARSAW)
    assert end == datetime.datetime(2024, 7, 1, 23, 59, 59, 999000, tzinfo=WARSAW)
    assert start.astimezone(datetime.UTC).hour == 22  # the day before, in UTC (CEST)


def test_every_date_filter_uses_the_same_day(in_warsaw, db):
    start, end = day_bounds(DAY)
    listing = CustomerFilterForm({"created_after": "2024-07-01", "created_before": "2024-07-01"})
    activity = ActivityFilterForm({"start_date": "2024-07-01", "end_date": "2024-07-01"})
    assert listing.is_valid() and activity.is_valid()

    filters = listing.filters()
    assert (filters["created_at_after"], filters["created_at_before"]) == (start, end)
    api = activity.api_filters()
    assert (api["start_date"], api["end_date"]) == (start, end)


@pytest.mark.parametrize(
    ("created", "shown"),
    [
        (datetime.datetime(2024, 6, 30, 21, 59, tzinfo=datetime.UTC), False),  # 23:59 June 30
        (datetime.datetime(2024, 6, 30, 22, 0, tzinfo=datetime.UTC), True),  # 00:00 July 1
        (datetime.datetime(2024, 7, 1, 21, 59, 59, tzinfo=datetime.UTC), True),  # 23:59:59
        (datetime.datetime(2024, 7, 1, 22, 0, tzinfo=datetime.UTC), False),  # 00:00 July 2
    ],
)
def test_audit_log_day_filter_is_the_local_day(in_warsaw, db, created, shown):
    AuditEntry.objects.create(username="a", operation="x", outcome="success", created_at=created)
    form = AuditFilterForm({"date_from": "2024-07-01", "date_to": "2024-07-01"})
    assert form.is_valid()

    assert form.filter(AuditEntry.objects.all()).exists() is shown
