"""`select` gives what the same ORM `.filter()` gives: the same rows, values and order."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.models import AuditEntry
from dashboard.sql import select, select_one

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=123456)


def entry(minutes: int, operation="update_customer", customer_id="cust_1", **fields):
    return AuditEntry.objects.create(
        username="agent",
        created_at=NOW + datetime.timedelta(minutes=minutes),
        operation=operation,
        customer_id=customer_id,
        changes={"email": {"old": "a@x.io", "new": "b@x.io"}, "n": [1, 2]},
        outcome=AuditEntry.Outcome.SUCCESS,
        **fields,
    )


def values(rows):
    names = [field.attname for field in AuditEntry._meta.concrete_fields]
    return [[getattr(row, name) for name in names] for row in rows]


@pytest.fixture
def entries():
    made = [entry(m) for m in (-10, -3, 0, 2, 9)]
    made += [entry(0, operation="create_customer"), entry(1, customer_id="cust_2")]
    made += [entry(0, operation="delete_customer"), entry(0, scrubbed_at=NOW)]
    return made


@pytest.mark.parametrize(
    "lookups",
    [
        {"customer_id": "cust_1"},
        {"customer_id": "cust_1", "operation__in": ("update_customer", "create_customer")},
        {"created_at__gte": NOW - datetime.timedelta(minutes=3), "created_at__lte": NOW},
        {"created_at__gt": NOW - datetime.timedelta(minutes=3), "created_at__lt": NOW},
        {"operation__in": ["delete_customer"]},
        {"customer_id": "nobody"},
        {},
    ],
    ids=["equal", "in", "range", "open range", "in, one", "none match", "all"],
)
def test_rows_values_and_order_are_the_orms(entries, lookups):
    with CaptureQueriesContext(connection) as queries:
        found = select(AuditEntry, **lookups)

    assert len(queries) == 1
    expected = list(AuditEntry.objects.filter(**lookups))  # Meta.ordering: newest first
    assert values(found) == values(expected)
    assert [row.pk for row in found] == [row.pk for row in expected]


def test_values_come_back_as_python_values(entries):
    found = select(AuditEntry, scrubbed_at__gte=NOW)[0]

    assert found.created_at == NOW and found.created_at.tzinfo is not None
    assert found.scrubbed_at == NOW
    assert found.changes == {"email": {"old": "a@x.io", "new": "b@x.io"}, "n": [1, 2]}
    assert not found._state.adding  # a saved row: `save()` updates it
    found.error = "kept"
    found.save()
    assert AuditEntry.objects.get(pk=found.pk).error == "kept"


def test_an_order_and_a_limit_are_the_sql_ones(entries):
    by_time = select(AuditEntry, customer_id="cust_1", order_by=("created_at", "id"), limit=2)

    expected = AuditEntry.objects.filter(customer_id="cust_1").order_by("created_at", "id")[:2]
    assert [row.pk for row in by_time] == [row.pk for row in expected]


def test_an_empty_in_matches_nothing_without_a_query(entries):
    with CaptureQueriesContext(connection) as queries:
        assert select(AuditEntry, operation__in=[]) == []
    assert len(queries) == 0


def test_select_one_is_the_first_row_or_none():
    session = Session.objects.create(
        session_key="k" * 32, session_data="data", expire_date=NOW + datetime.timedelta(1)
    )

    assert select_one(Session, pk="k" * 32) == session
    assert select_one(Session, session_key="k" * 32, expire_date__gt=NOW).expire_date == (
        session.expire_date
    )
    assert select_one(Session, session_key="k" * 32, expire_date__gt=session.expire_date) is None
