"""The activity timeline, told: what a "Customer updated" entry changed, and who changed it
when the change was made through the dashboard; which consents a consent event names.

Voucherify's `customer.updated` event carries the customer after the change (a snapshot),
so the fields it changed are the differences from the snapshot before it: the page is read
with one activity more than it shows, so that its oldest entry has one too. When the change
was made here, the audit trail has it exactly, with who made it; the entry recorded closest
to the event (within `AUDIT_WINDOW`) is taken.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from customers.services.campaigns import campaigns_record
from customers.services.consents import CONSENT_ACTIVITY_TYPES, consent_ref_names
from customers.services.customers import label
from customers.voucherify import VoucherifyError, get_client
from customers.voucherify.resources import BASE_FIELDS, Activity
from dashboard.audit import flatten
from dashboard.models import AuditEntry
from dashboard.sql import select

SNAPSHOT_TYPES = frozenset({"customer.created", "customer.updated"})
AUDITED_WRITES = ("update_customer", "create_customer")
AUDIT_WINDOW = datetime.timedelta(minutes=2)


@dataclass(frozen=True)
class FieldChange:
    field: str  # flat name: `email`, `address.city`, `metadata.tier`
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return label(self.field)


@dataclass(frozen=True)
class TimelineEntry:
    activity: Activity
    changes: tuple[FieldChange, ...] = ()
    by: str = ""  # the dashboard user who made the change, when made here
    # A customer.updated entry whose change could not be told (no earlier snapshot).
    changes_unknown: bool = False
    # The names of the consents a consent event gives or revokes.
    consents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timeline:
    entries: tuple[TimelineEntry, ...]
    more_starting_after: str | None = None


def _snapshot(activity: Activity) -> dict[str, Any] | None:
    if activity.type not in SNAPSHOT_TYPES:
        return None
    customer = activity.data.get("customer")
    if not isinstance(customer, Mapping):
        return None
    return flatten({name: customer.get(name) for name in BASE_FIELDS})


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(name, before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
        if (before.get(name) or None) != (after.get(name) or None)
    )


def _audit_entries(customer_id: str, activities: Sequence[Activity]) -> list[AuditEntry]:
    """The dashboard's writes to this customer around the page's updates (one query)."""
    stamps = [a.created_at for a in activities if a.type == "customer.updated" and a.created_at]
    if not stamps:
        return []
    return select(
        AuditEntry,
        customer_id=customer_id,
        operation__in=AUDITED_WRITES,
        outcome=AuditEntry.Outcome.SUCCESS,
        created_at__gte=min(stamps) - AUDIT_WINDOW,
        created_at__lte=max(stamps) + AUDIT_WINDOW,
    )


def _closest(entries: list[AuditEntry], at: datetime.datetime | None) -> AuditEntry | None:
    if at is None:
        return None
    near = [e for e in entries if abs(e.created_at - at) <= AUDIT_WINDOW]
    return min(near, key=lambda e: abs(e.created_at - at), default=None)


def _entry(activity: Activity, older: Sequence[Activity], audit: list[AuditEntry]):
    if activity.type != "customer.updated":
        return TimelineEntry(activity)
    trail = _closest(audit, activity.created_at)
    by = trail.username if trail is not None else ""
    if trail is not None and trail.changes:
        changes = tuple(
            FieldChange(name, (change or {}).get("old"), (change or {}).get("new"))
            for name, change in sorted(trail.changes.items())
        )
        return TimelineEntry(activity, changes, by)
    told = activity.changes()
    if told:
        return TimelineEntry(activity, tuple(FieldChange(*row) for row in told), by)
    after = _snapshot(activity)
    before = next((s for s in map(_snapshot, older) if s is not None), None)
    if after is None or before is None:
        return TimelineEntry(activity, (), by, changes_unknown=True)
    return TimelineEntry(activity, _diff(before, after), by)


def _consents_named(client, activities: Sequence[Activity]) -> list[tuple[str, ...]]:
    """The names of the consents each consent event names (() for other events), as the
    event gives them. Where an event gives a consent by id only, the consent catalogue names
    it: read once for the whole page, and only then; the id stays if it cannot be read."""
    refs = [consent_ref_names(a) if a.type in CONSENT_ACTIVITY_TYPES else [] for a in activities]
    catalogue: dict[str, str] = {}
    if any(not name for row in refs for _id, name in row):
        # Unreadable (consents retired, Voucherify failing): the ids are shown instead.
        with contextlib.suppress(VoucherifyError):
            catalogue = {c.id: c.name for c in client.list_consents().consents if c.id and c.name}
    return [tuple(name or catalogue.get(cid, cid) for cid, name in row) for row in refs]


def customer_timeline(
    *, customer_id: str, filters: Mapping[str, Any], limit: int, user
) -> Timeline:
    """A page of the customer's activity (newest first), each update with what it changed;
    the campaigns it names are remembered (so the profile can name its referrals' campaigns).
    Raises `VoucherifyError` when the API fails."""
    client = get_client()
    page = client.list_customer_activity(customer_id, limit=limit + 1, **filters)
    activities = page.activities
    campaigns_record(activities)
    shown = activities[:limit]
    audit = _audit_entries(customer_id, shown)
    consents = _consents_named(client, shown)
    entries = tuple(
        replace(_entry(a, activities[i + 1 :], audit), consents=consents[i])
        for i, a in enumerate(shown)
    )
    more = None
    if len(activities) > limit:
        more = shown[-1].id
    elif page.has_more and page.more_starting_after:
        more = page.more_starting_after
    return Timeline(entries, more)
