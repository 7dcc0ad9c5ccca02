"""A customer's consents: the state shown, the one change form's write, the record handed out.

Voucherify keeps the consent definitions and enforces the customer's choices, but records no
actor, method or reason. The dashboard's consent ledger (`customers.models.consents`) does; the
state shown is derived from both (`derive_consents`), the newest evidence winning:

- the ledger's applied entries (who, how, why), and
- Voucherify's own evidence: the `customer.consents.given` / `customer.consents.revoked`
  activities (payload `consents: [{id, name}]`) and `system_metadata.consents`
  (`{cnst_...: {value, date}, unsubscribed}`) where the project exposes it.

Where the two disagree (a change made outside the dashboard, or one Voucherify did not apply)
the consent says so and both are kept. The consent endpoints left Voucherify's spec in 2024;
a project that answers them with 404, 410 or a "feature disabled" error has no consents
(`ConsentsUnavailable`), and the rest of the profile works as before.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models.consents import UNSUBSCRIBE_ALL, ConsentLedgerEntry, wording_fingerprint
from customers.services.customers import customer_write_lock
from customers.voucherify import NotFound, VoucherifyError, get_client
from customers.voucherify.dates import parse_datetime
from customers.voucherify.resources import Activity, Consent, Consents, Customer
from dashboard import audit
from dashboard.sql import select

State = ConsentLedgerEntry.State
Outcome = ConsentLedgerEntry.Outcome
Method = ConsentLedgerEntry.Method

GIVEN = "customer.consents.given"
REVOKED = "customer.consents.revoked"
CONSENT_ACTIVITY_TYPES = {GIVEN: True, REVOKED: False}
# How far back the activity stream is read (pages of 100): the newest 500 events.
ACTIVITY_PAGES = 5
# A Voucherify event this close to a ledger entry of the same value is that entry's echo.
ECHO_WINDOW = datetime.timedelta(minutes=5)
UNSUBSCRIBE_NAME = "Unsubscribed from all marketing"
UNGROUPED = "Other consents"
# Keys that Voucherify's error bodies use when a feature is off for the project.
FEATURE_OFF_WORDS = ("feature_disabled", "feature_not_enabled", "feature_not_available")


# --- what is shown --------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One source's word on a consent: granted or not, since when, and how it came about."""

    granted: bool
    at: datetime.datetime | None
    source: str  # "dashboard" (the ledger) or "voucherify"
    how: str
    by: str = ""
    entry: ConsentLedgerEntry | None = None

    @property
    def state(self) -> str:
        return State.GRANTED if self.granted else State.WITHDRAWN

    @property
    def state_label(self) -> str:
        return State(self.state).label


@dataclass(frozen=True)
class ConsentStatus:
    consent: Consent
    fingerprint: str
    state: str
    last: Evidence | None = None
    dashboard: Evidence | None = None
    voucherify: Evidence | None = None
    # "outside": changed outside the dashboard after its last recorded change;
    # "not_applied": the dashboard recorded a change that Voucherify does not show.
    disagreement: str | None = None
    pending: tuple[ConsentLedgerEntry, ...] = ()
    due_for_refresh: bool = False
    group: str = UNGROUPED
    also_in: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.consent.id or ""

    @property
    def state_label(self) -> str:
        return State(self.state).label

    @property
    def outside_dashboard(self) -> bool:
        return self.last is not None and self.last.source == "voucherify"


@dataclass(frozen=True)
class GroupStatus:
    name: str
    description: str | None
    consents: tuple[ConsentStatus, ...]


@dataclass(frozen=True)
class HistoryItem:
    """A line of the consent record: a ledger entry, or a Voucherify event with no entry."""

    at: datetime.datetime | None
    consent_id: str
    consent_name: str
    old_state: str | None
    new_state: str
    source: str
    how: str
    by: str = ""
    reason: str = ""
    ticket: str = ""
    outcome: str = ""
    error: str = ""
    request_id: str = ""
    fingerprint: str = ""
    activity_id: str = ""
    confirmed_by: str = ""  # the id of the Voucherify event that echoes a ledger entry
    entry: ConsentLedgerEntry | None = None

    @property
    def old_label(self) -> str:
        return State(self.old_state).label if self.old_state else ""

    @property
    def new_label(self) -> str:
        return State(self.new_state).label


@dataclass(frozen=True)
class CustomerConsents:
    """The consents section: definitions by group with the customer's state, and history."""

    customer: Customer
    groups: tuple[GroupStatus, ...]
    unsubscribed: bool
    unsubscribed_last: Evidence | None
    unsubscribed_disagrees: bool
    history: tuple[HistoryItem, ...]
    activities_complete: bool
    refresh_months: int

    @property
    def customer_id(self) -> str:
        return self.customer.id or ""

    def statuses(self) -> list[ConsentStatus]:
        return [status for group in self.groups for status in group.consents]

    def by_id(self) -> dict[str, ConsentStatus]:
        return {status.id: status for status in self.statuses()}

    @property
    def pending(self) -> bool:
        return any(item.outcome == Outcome.UNKNOWN for item in self.history)


@dataclass(frozen=True)
class ConsentsUnavailable:
    """Voucherify answered the consent calls with 404/410/"feature disabled": no consents in
    this project. `error` is that answer."""

    error: VoucherifyError


# --- outcomes of a change -------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentsSaved:
    """Applied. `checked`: no answer came in time, and re-reading showed it applied."""

    entries: tuple[ConsentLedgerEntry, ...]
    checked: bool = False


@dataclass(frozen=True)
class ConsentsUnchanged:
    """The form asks for what the customer already has: nothing sent, nothing recorded."""

    state: CustomerConsents


@dataclass(frozen=True)
class WordingChanged:
    """A consent's name or description changed since the form was shown: nothing sent, the
    user reviews the new wording first."""

    state: CustomerConsents
    consents: tuple[ConsentStatus, ...]


@dataclass(frozen=True)
class UnknownConsents:
    """The form names consents this project does not define (any more): nothing sent."""

    state: CustomerConsents
    consent_ids: tuple[str, ...]


@dataclass(frozen=True)
class ConsentsNotApplied:
    """Refused or failed before it could apply (the entries say `failed`). `checked`: the
    answer was unknown, and re-reading the customer showed it was not applied."""

    error: VoucherifyError
    state: CustomerConsents
    checked: bool = False


@dataclass(frozen=True)
class ConsentsOutcomeUnknown:
    """Sent, no answer, and re-reading did not settle it: the entries stay `unknown`."""

    error: VoucherifyError
    state: CustomerConsents


@dataclass(frozen=True)
class ConsentRecord:
    """The evidence handed out: ledger entries and the matching Voucherify events."""

    customer: Customer
    generated_at: datetime.datetime
    generated_by: str
    history: tuple[HistoryItem, ...]
    current: tuple[ConsentStatus, ...]
    unsubscribed: bool
    consents_available: bool
    activities_complete: bool


# --- reading --------------------------------------------------------------------------------


def consents_unavailable(error: VoucherifyError) -> bool:
    """404, 410 or a "feature disabled" answer to a consent call: the project has none.

    A 404 that names a customer is that customer missing, not the feature.
    """
    if error.status == 410:
        return True
    if isinstance(error, NotFound):
        return (error.key or "") != "not_found" or "customer" not in str(error).lower()
    words = f"{error.key or ''} {error.message or ''} {error.details or ''}".lower()
    return any(word in words or word.replace("_", " ") in words for word in FEATURE_OFF_WORDS)


@dataclass(frozen=True)
class _Read:
    definitions: Consents
    customer: Customer
    activities: tuple[Activity, ...]
    activities_complete: bool


def _consent_activities(client, customer_id: str) -> tuple[tuple[Activity, ...], bool]:
    """The customer's consent events among the newest ACTIVITY_PAGES pages of activity.

    The activity `type` filter only takes the current spec's event names, which lack these
    legacy ones: the stream is read whole, newest first, up to the cap.
    """
    found: list[Activity] = []
    cursor = None
    for _ in range(ACTIVITY_PAGES):
        page = client.list_customer_activity(customer_id, limit=100, starting_after_id=cursor)
        found.extend(a for a in page.activities if a.type in CONSENT_ACTIVITY_TYPES)
        if not page.has_more or not page.more_starting_after:
            return tuple(found), True
        cursor = page.more_starting_after
    return tuple(found), False


def _read(
    client, customer_id: str, customer: Customer | None = None
) -> _Read | ConsentsUnavailable:
    """The definitions, the customer (unless already read) and its consent events."""
    try:
        definitions = client.list_consents()
    except VoucherifyError as error:
        if consents_unavailable(error):
            return ConsentsUnavailable(error)
        raise
    if customer is None:
        customer = client.get_customer(customer_id)
    activities, complete = _consent_activities(client, customer.id or customer_id)
    return _Read(definitions, customer, activities, complete)


def _ledger(customer_id: str) -> list[ConsentLedgerEntry]:
    return select(ConsentLedgerEntry, customer_id=customer_id, order_by=("recorded_at",))


def customer_consents_get(*, customer_id: str, user) -> CustomerConsents | ConsentsUnavailable:
    """The consents section of a profile. Raises `VoucherifyError` when the customer or the
    definitions cannot be read; ledger entries left `unknown` are settled on the way when
    what Voucherify now shows tells how they went."""
    read = _read(get_client(), customer_id)
    if isinstance(read, ConsentsUnavailable):
        return read
    entries = _ledger(read.customer.id or customer_id)
    settle_from_voucherify(entries, read.customer, read.activities)
    return _derive(read, entries)


def _derive(read: _Read, entries: Sequence[ConsentLedgerEntry]) -> CustomerConsents:
    return derive_consents(
        definitions=read.definitions,
        customer=read.customer,
        entries=entries,
        activities=read.activities,
        activities_complete=read.activities_complete,
    )


# --- deriving the state ---------------------------------------------------------------------


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """`moment` minus whole calendar months (the 31st falls back to the month's last day)."""
    year, month0 = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def consent_ref_names(activity: Activity) -> list[tuple[str, str | None]]:
    """`(id, name)` of the consents a given/revoked event names, leniently; the name is None
    where the event gives none."""
    refs = activity.data.get("consents")
    out = []
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, Mapping) and isinstance(ref.get("id"), str):
            name = ref.get("name")
            out.append((ref["id"], name if isinstance(name, str) else None))
    return out


def consent_refs(activity: Activity) -> list[tuple[str, str]]:
    """`(id, name)` of the consents a given/revoked event names, leniently; the id stands in
    for a name the event does not give."""
    return [(cid, cid if name is None else name) for cid, name in consent_ref_names(activity)]


def api_consent_values(customer: Customer) -> dict[str, tuple[bool, datetime.datetime | None]]:
    """`system_metadata.consents` as `{consent id: (granted, date)}` (empty when absent)."""
    raw = customer.system_metadata.get("consents")
    values = {}
    for key, item in raw.items() if isinstance(raw, Mapping) else ():
        if (
            key != UNSUBSCRIBE_ALL
            and isinstance(item, Mapping)
            and isinstance(item.get("value"), bool)
        ):
            values[key] = (item["value"], parse_datetime(item.get("date")))
    return values


def _tracks_consents(customer: Customer, activities: Sequence[Activity]) -> bool:
    """Whether this project shows consents at all (else no evidence is no contradiction)."""
    return isinstance(customer.system_metadata.get("consents"), Mapping) or bool(activities)


def _voucherify_evidence(customer: Customer, activities: Sequence[Activity]) -> dict[str, Evidence]:
    newest: dict[str, Evidence] = {}

    def offer(consent_id: str, evidence: Evidence) -> None:
        held = newest.get(consent_id)
        if held is None or _later(evidence.at, held.at):
            newest[consent_id] = evidence

    for consent_id, (granted, at) in api_consent_values(customer).items():
        offer(consent_id, Evidence(granted, at, "voucherify", "Voucherify's consent state"))
    for activity in activities:
        granted = CONSENT_ACTIVITY_TYPES[activity.type]
        channel = activity.channel or "unknown channel"
        how = f"Voucherify event {activity.id or ''} ({channel})".replace("  ", " ")
        for consent_id, _name in consent_refs(activity):
            offer(consent_id, Evidence(granted, activity.created_at, "voucherify", how))
    return newest


def _later(a: datetime.datetime | None, b: datetime.datetime | None) -> bool:
    if a is None:
        return False
    return b is None or a > b


def _ledger_evidence(entry: ConsentLedgerEntry) -> Evidence:
    how = entry.get_method_display()
    return Evidence(bool(entry.granted), entry.recorded_at, "dashboard", how, entry.username, entry)


def _compare(
    dashboard: Evidence | None, voucherify: Evidence | None, tracked: bool
) -> tuple[Evidence | None, str | None]:
    """The evidence that wins (the newest) and the disagreement, if any."""
    if dashboard is None:
        return voucherify, None
    if voucherify is None:
        return dashboard, "not_applied" if tracked else None
    if dashboard.granted == voucherify.granted:
        echo = voucherify.at is None or dashboard.at is None
        echo = echo or voucherify.at - dashboard.at <= ECHO_WINDOW
        return (dashboard if echo else voucherify), None
    if _later(voucherify.at, dashboard.at):
        return voucherify, "outside"
    return dashboard, "not_applied"


def derive_consents(
    *,
    definitions: Consents,
    customer: Customer,
    entries: Sequence[ConsentLedgerEntry],
    activities: Sequence[Activity],
    activities_complete: bool = True,
    now: datetime.datetime | None = None,
) -> CustomerConsents:
    """The state of each defined consent, grouped, and the customer's consent history."""
    now = now or timezone.now()
    months = settings.CONSENT_REFRESH_MONTHS
    refresh_before = months_before(now, months)
    tracked = _tracks_consents(customer, activities)
    api = _voucherify_evidence(customer, activities)
    ours: dict[str, Evidence] = {}
    pending: dict[str, list[ConsentLedgerEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.recorded_at):
        if entry.outcome == Outcome.APPLIED:
            ours[entry.consent_id] = _ledger_evidence(entry)
        elif entry.outcome == Outcome.UNKNOWN:
            pending.setdefault(entry.consent_id, []).append(entry)

    placement = _placement(definitions)
    statuses: dict[str, list[ConsentStatus]] = {}
    for consent in definitions.consents:
        cid = consent.id or ""
        last, disagreement = _compare(ours.get(cid), api.get(cid), tracked)
        state = last.state if last else State.NEVER_ASKED
        group, also_in = placement.get(cid, (UNGROUPED, ()))
        status = ConsentStatus(
            consent=consent,
            fingerprint=wording_fingerprint(consent.name, consent.description),
            state=state,
            last=last,
            dashboard=ours.get(cid),
            voucherify=api.get(cid),
            disagreement=disagreement,
            pending=tuple(pending.get(cid, ())),
            due_for_refresh=bool(
                last and last.granted and last.at is not None and last.at < refresh_before
            ),
            group=group,
            also_in=also_in,
        )
        statuses.setdefault(group, []).append(status)

    unsubscribed_last = ours.get(UNSUBSCRIBE_ALL)
    return CustomerConsents(
        customer=customer,
        groups=_groups(definitions, statuses),
        unsubscribed=customer.unsubscribed,
        unsubscribed_last=unsubscribed_last,
        unsubscribed_disagrees=bool(
            unsubscribed_last and unsubscribed_last.granted != customer.unsubscribed
        ),
        history=tuple(history(entries, activities)),
        activities_complete=activities_complete,
        refresh_months=months,
    )


def _placement(definitions: Consents) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each consent's group (the first that lists it) and the other groups it is in."""
    groups_of: dict[str, list[str]] = {}
    for group in definitions.groups:
        for cid in group.consents:
            groups_of.setdefault(cid, []).append(group.name or group.id or "")
    return {cid: (names[0], tuple(names[1:])) for cid, names in groups_of.items()}


def _groups(definitions: Consents, statuses: dict[str, list[ConsentStatus]]) -> tuple:
    groups = []
    for group in definitions.groups:
        name = group.name or group.id or ""
        if name in statuses:
            groups.append(GroupStatus(name, group.description, tuple(statuses.pop(name))))
    if UNGROUPED in statuses:
        groups.append(GroupStatus(UNGROUPED, None, tuple(statuses.pop(UNGROUPED))))
    return tuple(groups)


def history(
    entries: Iterable[ConsentLedgerEntry], activities: Iterable[Activity]
) -> list[HistoryItem]:
    """Ledger entries and Voucherify's consent events, newest first; an event that echoes a
    ledger entry (same consent and value, within ECHO_WINDOW after it) is folded into it."""
    entries = sorted(entries, key=lambda e: e.recorded_at)
    events = []
    for activity in activities:
        for consent_id, name in consent_refs(activity):
            events.append((activity, consent_id, name, CONSENT_ACTIVITY_TYPES[activity.type]))
    echoes: dict[int, str] = {}
    unmatched = []
    for activity, consent_id, name, granted in events:
        entry = _echoed_entry(entries, consent_id, granted, activity.created_at, echoes)
        if entry is None:
            unmatched.append((activity, consent_id, name, granted))
        else:
            echoes[entry.pk] = activity.id or ""
    items = [_entry_item(entry, echoes.get(entry.pk, "")) for entry in entries]
    for activity, consent_id, name, granted in unmatched:
        items.append(
            HistoryItem(
                at=activity.created_at,
                consent_id=consent_id,
                consent_name=name,
                old_state=None,
                new_state=State.GRANTED if granted else State.WITHDRAWN,
                source="voucherify",
                how=f"Outside the dashboard ({activity.channel or 'unknown channel'})",
                activity_id=activity.id or "",
            )
        )
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    items.sort(key=lambda item: item.at or epoch, reverse=True)
    return items


def _echoed_entry(entries, consent_id, granted, at, taken) -> ConsentLedgerEntry | None:
    if at is None:
        return None
    for entry in entries:
        if (
            entry.pk not in taken
            and entry.consent_id == consent_id
            and entry.granted == granted
            and entry.outcome != Outcome.FAILED
            and entry.recorded_at - ECHO_WINDOW / 5 <= at <= entry.recorded_at + ECHO_WINDOW
        ):
            return entry
    return None


def _entry_item(entry: ConsentLedgerEntry, confirmed_by: str) -> HistoryItem:
    return HistoryItem(
        at=entry.recorded_at,
        consent_id=entry.consent_id,
        consent_name=entry.consent_name,
        old_state=entry.old_state,
        new_state=entry.new_state,
        source="dashboard",
        how=entry.get_method_display(),
        by=entry.username,
        reason=entry.reason,
        ticket=entry.ticket,
        outcome=entry.outcome,
        error=entry.error,
        request_id=entry.request_id,
        fingerprint=entry.wording_fingerprint,
        confirmed_by=confirmed_by,
        entry=entry,
    )


# --- settling unknown outcomes --------------------------------------------------------------


def _shown_value(
    entry: ConsentLedgerEntry, customer: Customer, activities: Sequence[Activity]
) -> bool | None:
    """What Voucherify now shows for the entry's consent, if anything (None: it shows nothing)."""
    raw = customer.system_metadata.get("consents")
    if entry.is_unsubscribe:
        return customer.unsubscribed if isinstance(raw, Mapping) else None
    value = api_consent_values(customer).get(entry.consent_id)
    if value is not None:
        return value[0]
    for activity in activities:  # newest first
        at = activity.created_at
        if at is None or at < entry.recorded_at - ECHO_WINDOW / 5:
            continue
        if any(cid == entry.consent_id for cid, _ in consent_refs(activity)):
            return CONSENT_ACTIVITY_TYPES[activity.type]
    return None


def settle_from_voucherify(
    entries: Iterable[ConsentLedgerEntry],
    customer: Customer,
    activities: Sequence[Activity] = (),
    *,
    how: str = "re-read the customer's consents",
) -> bool | None:
    """Settle the `unknown` entries by what Voucherify now shows.

    True when every unknown entry proved applied, False when one proved not applied, None
    when some stay unknown (Voucherify shows nothing for their consent).
    """
    verdicts = []
    for entry in entries:
        if entry.outcome != Outcome.UNKNOWN:
            continue
        shown = _shown_value(entry, customer, activities)
        if shown is None:
            verdicts.append(None)
            continue
        applied = shown == entry.granted
        entry.settle(applied=applied, how=how)
        verdicts.append(applied)
    if False in verdicts:
        return False
    if None in verdicts:
        return None
    return True


# --- the change -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    consent_id: str
    name: str
    description: str
    old_state: str
    new_state: str

    @property
    def granted(self) -> bool:
        return self.new_state in (State.GRANTED, State.UNSUBSCRIBED)


def _plan(
    state: CustomerConsents, changes: Mapping[str, bool], unsubscribe_all: bool
) -> tuple[dict[str, bool], list[_Planned]]:
    """The API body and one planned ledger entry per consent that changes."""
    statuses = state.by_id()
    body: dict[str, bool] = {}
    planned: list[_Planned] = []
    if unsubscribe_all:
        if not state.unsubscribed:
            body[UNSUBSCRIBE_ALL] = True
            planned.append(_unsubscribe_row(State.SUBSCRIBED, State.UNSUBSCRIBED))
        for status in state.statuses():
            if status.state == State.GRANTED:
                body[UNSUBSCRIBE_ALL] = True
                planned.append(_consent_row(status, State.WITHDRAWN))
        return body, planned
    for consent_id, granted in changes.items():
        status = statuses[consent_id]
        target = State.GRANTED if granted else State.WITHDRAWN
        if status.state != target:
            body[consent_id] = granted
            planned.append(_consent_row(status, target))
    if state.unsubscribed and any(body.values()):
        # Granting a consent opts back in: say so rather than rely on Voucherify's guess.
        body[UNSUBSCRIBE_ALL] = False
        planned.append(_unsubscribe_row(State.UNSUBSCRIBED, State.SUBSCRIBED))
    return body, planned


def _consent_row(status: ConsentStatus, target: str) -> _Planned:
    consent = status.consent
    return _Planned(
        status.id, consent.name or status.id, consent.description or "", status.state, target
    )


def _unsubscribe_row(old: str, new: str) -> _Planned:
    return _Planned(UNSUBSCRIBE_ALL, UNSUBSCRIBE_NAME, "", old, new)


def _record(
    planned: Sequence[_Planned], *, customer_id: str, method: str, reason: str, ticket: str, user
) -> list[ConsentLedgerEntry]:
    """The ledger entries, written as `unknown` before the request leaves."""
    with transaction.atomic():
        first = ConsentLedgerEntry(customer_id=customer_id)
        entries = [
            ConsentLedgerEntry(
                change_id=first.change_id,
                customer_id=customer_id,
                consent_id=row.consent_id,
                consent_name=row.name[:255],
                consent_description=row.description,
                wording_fingerprint=wording_fingerprint(row.name, row.description),
                old_state=row.old_state,
                new_state=row.new_state,
                recorded_at=timezone.now(),
                method=method,
                reason=reason,
                ticket=ticket,
                user=user if getattr(user, "is_authenticated", False) else None,
                username=user.get_username() if user is not None else "",
                outcome=Outcome.UNKNOWN,
            )
            for row in planned
        ]
        for entry in entries:
            entry.save()
    return entries


def _error_text(error: VoucherifyError) -> str:
    """Status, key and Voucherify's explanation (the ledger's scrub redacts it if it quotes
    the customer)."""
    parts = [str(error.status) if error.status else error.__class__.__name__]
    if error.key:
        parts.append(error.key)
    text = " ".join(parts)
    return f"{text}: {error.details or error.message}"[:500]


def customer_consents_update(
    *,
    customer_id: str,
    changes: Mapping[str, bool],
    unsubscribe_all: bool = False,
    method: str,
    reason: str,
    ticket: str = "",
    shown: Mapping[str, str],
    user,
):
    """Change one or several consents (`{consent id: granted}`), or unsubscribe from all.

    `shown` maps each consent id to the fingerprint of the wording the user was shown; a
    consent reworded since gives `WordingChanged` and nothing is sent. Every change is a
    ledger entry (written before the request, settled after it) and one audit entry.
    Raises `VoucherifyError` when the state could not be read (nothing was sent).
    """
    if method not in Method.values:
        raise ValueError(f"Unknown consent collection method {method!r}")
    if not reason.strip():
        raise ValueError("A consent change needs a reason")
    client = get_client()
    with customer_write_lock(client, "consents", customer_id) as customer:
        read = _read(client, customer_id, customer)
        if isinstance(read, ConsentsUnavailable):
            return read
        cid = read.customer.id or customer_id
        entries = _ledger(cid)
        settle_from_voucherify(entries, read.customer, read.activities)
        state = _derive(read, entries)
        statuses = state.by_id()
        unknown = tuple(c for c in changes if c not in statuses)
        if unknown:
            return UnknownConsents(state, unknown)
        reworded = tuple(statuses[c] for c in changes if shown.get(c) != statuses[c].fingerprint)
        if reworded and not unsubscribe_all:
            return WordingChanged(state, reworded)
        body, planned = _plan(state, changes, unsubscribe_all)
        if not body:
            return ConsentsUnchanged(state)
        recorded = _record(
            planned,
            customer_id=cid,
            method=method,
            reason=reason.strip(),
            ticket=ticket.strip(),
            user=user,
        )
        return _send(client, read, recorded, body, user)


def _send(client, read: _Read, recorded: list[ConsentLedgerEntry], body: dict, user):
    cid = read.customer.id or ""
    changes = {
        entry.consent_name
        if entry.is_unsubscribe
        else f"{entry.consent_name} ({entry.consent_id})": (
            entry.old_state,
            entry.new_state,
        )
        for entry in recorded
    }
    trail = None
    try:
        with audit.audited(
            user,
            "update_customers_consents",
            customer_id=cid,
            changes=changes,
            customer=read.customer,
        ) as trail:
            client.update_customers_consents(cid, body)
    except VoucherifyError as error:
        return _after_error(client, read, recorded, error, trail)
    for entry in recorded:
        entry.settle(applied=True, how="Voucherify answered 204")
    return ConsentsSaved(tuple(recorded))


def _after_error(client, read: _Read, recorded, error: VoucherifyError, trail):
    cid = read.customer.id or ""
    text = _error_text(error)
    if not error.may_have_applied:
        for entry in recorded:
            entry.settle(
                applied=False,
                how="Voucherify refused it" if error.status else "Voucherify was not reached",
                error=text,
                request_id=error.request_id or "",
            )
        if consents_unavailable(error):
            return ConsentsUnavailable(error)
        return ConsentsNotApplied(error, _derive(read, _ledger(cid)))
    for entry in recorded:
        entry.note_unanswered(error=text, request_id=error.request_id or "")
    try:
        current = client.get_customer(cid)
    except VoucherifyError:
        current = None
    verdict = None
    if current is not None:
        verdict = settle_from_voucherify(recorded, current)
    if verdict is not None and trail is not None:
        audit.resolve(trail, applied=verdict, how="re-read the customer's consents")
    fresh = _Read(
        read.definitions, current or read.customer, read.activities, read.activities_complete
    )
    if verdict is True:
        return ConsentsSaved(tuple(recorded), checked=True)
    if verdict is False:
        return ConsentsNotApplied(error, _derive(fresh, _ledger(cid)), checked=True)
    return ConsentsOutcomeUnknown(error, _derive(fresh, _ledger(cid)))


# --- the record handed out ------------------------------------------------------------------


def customer_consents_record(*, customer_id: str, user) -> ConsentRecord:
    """A customer's consent record for an auditor or the customer: every ledger entry and
    Voucherify's consent events, and the state they add up to. The download is audited."""
    client = get_client()
    with audit.audited(user, "export_consent_record", customer_id=customer_id) as trail:
        read = _read(client, customer_id)
        if isinstance(read, ConsentsUnavailable):
            customer = client.get_customer(customer_id)
            activities, complete = _consent_activities(client, customer.id or customer_id)
            read = _Read(Consents(), customer, activities, complete)
            available = False
        else:
            available = True
        cid = read.customer.id or customer_id
        audit.describe(trail, read.customer)
        entries = _ledger(cid)
        state = _derive(read, entries)
        trail.customer_id = cid
        trail.changes = {"entries": (None, len(state.history))}
    return ConsentRecord(
        customer=read.customer,
        generated_at=timezone.now(),
        generated_by=user.get_username(),
        history=state.history,
        current=tuple(state.statuses()),
        unsubscribed=state.unsubscribed,
        consents_available=available,
        activities_complete=read.activities_complete,
    )


__all__ = [
    "ConsentRecord",
    "ConsentsNotApplied",
    "ConsentsOutcomeUnknown",
    "ConsentsSaved",
    "ConsentsUnavailable",
    "ConsentsUnchanged",
    "CustomerConsents",
    "UnknownConsents",
    "WordingChanged",
    "customer_consents_get",
    "customer_consents_record",
    "customer_consents_update",
    "derive_consents",
]
