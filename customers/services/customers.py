"""Creating and editing a customer: the upsert check, the three-way merge with a concurrent
edit, the payload of changed fields, the audit record, and the read-back after a timeout.

Field values are CustomerBase JSON (`Customer.base_fields()` shape). Comparisons go through
`flatten`, so that `address.city` and `metadata.<key>` count as fields of their own: two users
who change different keys of one customer both keep their change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.utils import timezone

from customers.services.outcomes import (
    Conflict,
    ConflictRow,
    NoChanges,
    OutcomeUnknown,
    Saved,
    UpsertWouldUpdate,
)
from customers.services.suppression import Suppressed, suppression_check
from customers.voucherify import NotFound, VoucherifyError, format_date, get_client
from customers.voucherify.resources import Customer
from dashboard.audit import audited, describe, diff, flatten, resolve
from dashboard.locks import write_lock

ADDRESS_PARTS = ("line_1", "line_2", "city", "state", "postal_code", "country")
NESTED = ("address", "metadata")
# Voucherify's clock and ours differ a little: look this far back for a lost create.
CLOCK_SKEW = datetime.timedelta(minutes=2)
CUSTOMER_ID_PREFIX = "cust_"

Fields = Mapping[str, Any]


@contextmanager
def customer_write_lock(client, scope: str, customer_id: str) -> Iterator[Customer]:
    """Hold the `scope` write lock of the customer that `customer_id` addresses (a `cust_` id
    or a source_id), keyed by its `cust_` id so that saves addressed either way wait for each
    other; yields the customer as read under the lock.

    A `cust_` id is taken as the key without a read; a source_id is read first for the id it
    stands for. If the read under the lock finds another id (a source_id that looks like an
    id, or a customer re-created meanwhile), that id's lock is taken and the customer read
    again. Raises `VoucherifyError` (nothing written) when a read fails."""
    key = customer_id
    if not customer_id.startswith(CUSTOMER_ID_PREFIX):
        key = client.get_customer(customer_id).id or customer_id
    with write_lock(f"{scope}:{key}"):
        current = client.get_customer(customer_id)
        if (current.id or key) == key:
            yield current
            return
    with write_lock(f"{scope}:{current.id}"):
        yield client.get_customer(customer_id)


def customer_version(customer: Customer) -> str:
    """The customer's `updated_at` as the marker a form echoes back ("" if never updated)."""
    return format_date(customer.updated_at) if customer.updated_at else ""


def _norm(value: Any) -> Any:
    """A value as compared: a blank counts as None, textarea line breaks as LF."""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
    return None if value == "" else value


def _same(a: Any, b: Any) -> bool:
    return _norm(a) == _norm(b)


def _changes(before: Fields | None, after: Fields | None) -> dict[str, Any]:
    """`{flat field: value after}` for every field that differs (a removed key -> None)."""
    old, new = flatten(before), flatten(after)
    return {
        name: new.get(name)
        for name in sorted(old.keys() | new.keys())
        if not _same(old.get(name), new.get(name))
    }


def label(name: str) -> str:
    """A flat field name as a person reads it: `address.city` -> "Address city"."""
    if name.startswith("address."):
        return "Address " + name[8:].replace("_", " ")
    if name.startswith("metadata."):
        return f"Metadata “{name[9:]}”"
    return name.capitalize()


def _payload(current: Fields, mine: Mapping[str, Any]) -> dict[str, Any]:
    """The body of `update_customer`: the changed fields; `address` and `metadata` sent whole,
    as they are now with this user's changes applied (a removed metadata key as null), so the
    result is right whether the API merges or replaces them."""
    payload: dict[str, Any] = {}
    for name, value in mine.items():
        if "." not in name:
            payload[name] = value
    for nested in NESTED:
        prefix = f"{nested}."
        changed = {k[len(prefix) :]: v for k, v in mine.items() if k.startswith(prefix)}
        if not changed:
            continue
        whole = {**(current.get(nested) or {}), **changed}
        if nested == "address":
            whole = {part: whole.get(part) for part in ADDRESS_PARTS}
            payload["address"] = whole if any(v is not None for v in whole.values()) else None
        else:
            payload["metadata"] = whole
    return payload


def _applied(customer: Customer, mine: Mapping[str, Any]) -> bool:
    now = flatten(customer.base_fields())
    return all(_same(now.get(name), value) for name, value in mine.items())


def customer_update(
    *,
    customer_id: str,
    opened: Fields | None,
    submitted: Fields,
    overwrite_version: str = "",
    user,
) -> Saved | NoChanges | Conflict | OutcomeUnknown:
    """Save what this user changed since the form was opened (`opened`; None when the form's
    marker was unreadable), merged with what others changed meanwhile.

    The re-read and the write hold the customer's write lock (by its `cust_` id, however the
    save addresses it), so two saves are checked one after the other. A field both sides
    changed to different values is a `Conflict` unless `overwrite_version` echoes the version
    it was shown. Raises `VoucherifyError` when the write was certainly not applied.
    """
    client = get_client()
    with customer_write_lock(client, "customer", customer_id) as current:
        now = current.base_fields()
        mine = _changes(opened if opened is not None else now, submitted)
        theirs = _changes(opened, now) if opened is not None else {}
        clashing = sorted(n for n in mine if n in theirs and not _same(mine[n], theirs[n]))
        kept = tuple(label(n) for n in theirs if n not in mine)
        version = customer_version(current)
        if opened is None and mine and overwrite_version != version:
            clashing = sorted(mine)  # nothing to merge against: show every change to confirm
        if clashing and overwrite_version != version:
            before, after = flatten(opened), flatten(now)
            rows = tuple(
                ConflictRow(label(n), before.get(n), after.get(n), mine[n]) for n in clashing
            )
            return Conflict(current, version, rows, kept)
        mine = {n: v for n, v in mine.items() if not _same(flatten(now).get(n), v)}
        if not mine:
            return NoChanges(current)
        data = _payload(now, mine)
        cid = current.id or customer_id
        try:
            with audited(user, "update_customer", customer_id=cid, customer=current) as entry:
                entry.changes = diff({k: now.get(k) for k in data}, data)
                saved = client.update_customer(cid, data)
        except VoucherifyError as error:
            if not error.may_have_applied:
                raise
            return _read_back_update(client, cid, mine, entry, error, kept)
        return Saved(saved, kept)


def _read_back_update(client, customer_id, mine, entry, error, kept):
    """After a write whose answer was lost: is the change there?"""
    try:
        after = client.get_customer(customer_id)
    except VoucherifyError:
        return OutcomeUnknown(error, None)
    if _applied(after, mine):
        resolve(entry, applied=True, how="re-read the customer")
        return Saved(after, kept, checked=True)
    # Not there yet; Voucherify may still apply it, so this stays unknown.
    return OutcomeUnknown(error, after)


def _create_payload(fields: Fields) -> dict[str, Any]:
    """The body of `create_customer`: the filled fields only."""
    payload: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "address":
            parts = {k: v for k, v in (value or {}).items() if _norm(v) is not None}
            if parts:
                payload["address"] = parts
        elif name == "metadata":
            if value:
                payload["metadata"] = dict(value)
        elif _norm(value) is not None:
            payload[name] = value
    return payload


def _existing(client, source_id: str) -> Customer | None:
    """The customer a create with this source_id would update (the path takes ids too: only
    a customer with this very source_id counts)."""
    try:
        found = client.get_customer(source_id)
    except NotFound:
        return None
    return found if found.source_id == source_id else None


def customer_create(
    *,
    fields: Fields,
    confirmed_existing_id: str = "",
    override_suppression: bool = False,
    user,
) -> Saved | UpsertWouldUpdate | OutcomeUnknown | Suppressed:
    """Create a customer. Voucherify upserts by source_id, so an existing one is returned as
    `UpsertWouldUpdate` until the user confirms it by id. An erased person's identifiers
    give `Suppressed` (nothing sent) unless an admin overrides. Raises `VoucherifyError` when
    the create was certainly not applied."""
    client = get_client()
    data = _create_payload(fields)
    suppressed = suppression_check(
        source_id=data.get("source_id"),
        email=data.get("email"),
        phone=data.get("phone"),
        override=override_suppression,
        user=user,
    )
    if suppressed is not None:
        return suppressed
    source_id = data.get("source_id")
    existing = _existing(client, source_id) if source_id else None
    if existing is not None and confirmed_existing_id != existing.id:
        return UpsertWouldUpdate(existing)
    old = existing.base_fields() if existing else {}
    new = {k: v for k, v in data.items() if k != "source_id"}
    started = timezone.now()
    try:
        with audited(
            user,
            "create_customer",
            customer_id=existing.id if existing else "",
            changes=diff({k: old.get(k) for k in new}, new),
            customer=existing,
        ) as entry:
            customer = client.create_customer(data)
            entry.customer_id = customer.id or ""
            describe(entry, customer)
    except VoucherifyError as error:
        if not error.may_have_applied:
            raise
        return _read_back_create(client, data, started, entry, error)
    return Saved(customer)


def _read_back_create(client, data, started, entry, error):
    """After a create whose answer was lost: look for the customer by source_id, else by
    exact email among those created since just before the request, holding what was sent."""
    new = {k: v for k, v in data.items() if k != "source_id"}
    try:
        if data.get("source_id"):
            candidates = [c for c in [_existing(client, data["source_id"])] if c is not None]
        elif data.get("email"):
            since = started - CLOCK_SKEW
            candidates = client.list_customers(email=data["email"], created_at_after=since)
            candidates = candidates.customers
        else:
            candidates = []
    except VoucherifyError:
        return OutcomeUnknown(error, None)
    found = next((c for c in candidates if _applied(c, _changes({}, new))), None)
    if found is None:
        return OutcomeUnknown(error, None)
    entry.customer_id = found.id or ""
    describe(entry, found)
    entry.save(update_fields=["customer_id", "customer_name", "customer_source_id"])
    resolve(entry, applied=True, how="found the customer")
    return Saved(found, checked=True)
