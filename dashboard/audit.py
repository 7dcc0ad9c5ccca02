"""The audit trail: every change made through the dashboard, recorded around the API call.

    from dashboard.audit import audited, diff

    with audited(request.user, "update_customer", customer_id=cid,
                 changes=diff(customer.base_fields(), data)) as entry:
        customer = client.update_customer(cid, data)
        entry.customer_id = customer.id  # optional, e.g. after a create

On a normal exit the entry is saved as `success`; on any exception it is saved as `failed`
(with the error's status/key and Voucherify request id, never its message, which may quote
personal data) and the exception propagates. An error after which the write may have been
applied (a timeout after sending: `VoucherifyError.may_have_applied`) is saved as `unknown`
instead, until the service that made the call reads back and calls `resolve`. GDPR erasure
calls `scrub_customer`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from customers.voucherify.errors import VoucherifyError
from dashboard import erasure
from dashboard.erasure import ERASED, keyed_hash
from dashboard.models import AuditEntry

OPERATION_LABELS = {
    "create_customer": "Created the customer",
    "update_customer": "Edited the customer",
    "delete_customer": "Deleted the customer",
    "customer_permanently_deletion": "Permanently deleted the customer",
    "update_customers_consents": "Changed consents",
    "export_customers": "Exported customers (CSV)",
    "export_consent_record": "Downloaded the consent record",
    "import_customers_using_csv": "Imported customers (CSV)",
    "update_customers_in_bulk": "Updated customers in bulk",
    "update_customers_metadata_in_bulk": "Set metadata in bulk",
    "deletion_request_open": "Opened a data-subject request",
    "deletion_request_verify_identity": "Recorded the identity check",
    "deletion_request_approve": "Approved a data-subject request",
    "deletion_request_refuse": "Refused a data-subject request",
    "deletion_request_cancel": "Cancelled a data-subject request",
    "deletion_request_extend": "Extended a data-subject request",
    "deletion_request_done": "Completed a data-subject request",
    "suppression_override": "Overrode the suppression list",
}

# Mappings flattened into `<name>.<key>` so that a diff names the key that changed.
NESTED_FIELDS = ("metadata", "address")


def flatten(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """`address` and `metadata` as `address.city`, `metadata.key`: one entry per value."""
    flat: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if key in NESTED_FIELDS and (value is None or isinstance(value, Mapping)):
            for sub_key, sub_value in (value or {}).items():
                flat[f"{key}.{sub_key}"] = sub_value
        else:
            flat[key] = value
    return flat


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, tuple]:
    """`{field: (old, new)}` for every field whose value differs; a missing key counts as None.

    Pass two complete representations (e.g. `customer.base_fields()` before and the data
    sent): a key absent from one side is read as None. `metadata` and `address` are compared
    key by key as `metadata.<key>` and `address.<part>`.
    """
    before, after = flatten(old), flatten(new)
    changed = {}
    for field in sorted(before.keys() | after.keys()):
        if before.get(field) != after.get(field):
            changed[field] = (before.get(field), after.get(field))
    return changed


def operation_label(operation: str) -> str:
    """An operation in words; an unknown one as its name with spaces."""
    if operation in OPERATION_LABELS:
        return OPERATION_LABELS[operation]
    words = operation.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)


def normalise_changes(changes: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Accept `{field: (old, new)}` or `{field: {"old":..., "new":...}}`; store the latter."""
    normalised = {}
    for field, change in (changes or {}).items():
        if isinstance(change, Mapping):
            old, new = change.get("old"), change.get("new")
        else:
            old, new = change
        normalised[str(field)] = {"old": _json_value(old), "new": _json_value(new)}
    return normalised


def _error_summary(error: BaseException) -> str:
    """Status and key only: an error message may quote the customer's data."""
    if isinstance(error, VoucherifyError):
        parts = [str(error.status) if error.status else "", error.key or ""]
        summary = " ".join(part for part in parts if part)
        return summary or error.__class__.__name__
    return error.__class__.__name__


def _new_entry(user, operation: str, customer_id: str, changes, customer=None) -> AuditEntry:
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    entry = AuditEntry(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        operation=operation,
        customer_id=customer_id or "",
        changes=changes or {},
    )
    describe(entry, customer)
    return entry


def describe(entry: AuditEntry, customer) -> None:
    """Keep the customer's name and source id on `entry` (a `Customer`, or None to leave
    them), so that the log names the customer without reading it back."""
    if customer is None:
        return
    entry.customer_name = (getattr(customer, "name", None) or "")[:255]
    entry.customer_source_id = (getattr(customer, "source_id", None) or "")[:255]


def _save(
    entry: AuditEntry,
    error: BaseException | None = None,
    *,
    names_only: bool = False,
    sent: bool = True,
) -> None:
    """Save `entry` as `success`, or as `failed` with `error`'s status/key and request id
    (`unknown` when the call was `sent` and may have been applied all the same).

    `names_only` keeps the changed field names and drops their values.
    """
    if error is None:
        entry.outcome = AuditEntry.Outcome.SUCCESS
    else:
        unknown = sent and getattr(error, "may_have_applied", False)
        entry.outcome = AuditEntry.Outcome.UNKNOWN if unknown else AuditEntry.Outcome.FAILED
        entry.error = _error_summary(error)[:255]
        entry.request_id = (getattr(error, "request_id", None) or "")[:64]
    entry.changes = normalise_changes(entry.changes)
    if names_only:
        entry.changes = {field: {} for field in entry.changes}
    entry.customer_id = entry.customer_id or ""
    if not entry.customer_id:
        entry.customer_name = entry.customer_source_id = ""  # nothing to scrub them by
    entry.save()


@contextmanager
def audited(
    user,
    operation: str,
    *,
    customer_id: str = "",
    changes: Mapping[str, Any] | None = None,
    customer=None,
) -> Iterator[AuditEntry]:
    """Record `operation` (a service method name) as one `AuditEntry` whatever its outcome.

    The yielded entry is unsaved until the block ends; set `customer_id` or `changes` on it
    when they are only known after the call; `customer` (a `Customer`) names them in the log
    (`describe` does it later, e.g. after a create). An entry that ends with no `customer_id` (a
    failed create) keeps the changed field names only: `scrub_customer` finds entries by
    customer id, so values stored there could never be erased.
    """
    entry = _new_entry(user, operation, customer_id, changes, customer)
    try:
        yield entry
    except Exception as error:
        _save(entry, error, names_only=not entry.customer_id)
        raise
    _save(entry, names_only=not entry.customer_id)


def resolve(entry: AuditEntry, *, applied: bool, how: str) -> None:
    """Settle an `unknown` entry once a read-back tells whether the write was applied.

    `how` says what was read (e.g. "re-read the customer"); the original error stays.
    """
    if entry.pk is None or entry.outcome != AuditEntry.Outcome.UNKNOWN:
        return
    entry.outcome = AuditEntry.Outcome.SUCCESS if applied else AuditEntry.Outcome.FAILED
    verdict = "applied" if applied else "not applied"
    entry.error = f"{entry.error}; {verdict} ({how})"[:255]
    entry.save(update_fields=["outcome", "error"])


def record_failure(
    user,
    operation: str,
    error: BaseException,
    *,
    customer_id: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """One `failed` entry for `operation` when it stopped before its call was sent (a read it
    needed failed): the error's status/key and Voucherify's request id, as `audited` keeps
    them for a failed call. Never `unknown`: nothing was sent."""
    entry = _new_entry(user, operation, customer_id, changes)
    _save(entry, error, names_only=not entry.customer_id, sent=False)
    return entry


def record_export(
    user, *, rows: int, filters: Iterable[str], error: BaseException | None = None
) -> AuditEntry:
    """One `export_customers` entry, saved when the download ends: who, when, the outcome,
    the rows written and the NAMES of the filters used; never their values (an email or a
    name filter is personal data, and an export names no single customer to scrub)."""
    changes = {"rows": (None, rows), "filters": (None, sorted(filters))}
    entry = _new_entry(user, "export_customers", "", changes)
    _save(entry, error)
    return entry


def scrub_customer(customer_id: str, *, also: Iterable[str] = ()) -> int:
    """Erase a customer's personal data from the audit trail; returns the entries scrubbed.

    Entries recorded under `customer_id` (or any identifier in `also`, e.g. the source_id)
    keep who, when, operation, outcome, request id and the changed field names; every old
    and new value becomes `ERASED`, the name is cleared, and the id and source id become
    their `keyed_hash`, so that an auditor holding either can still find them. Idempotent.
    """
    identifiers = {value for value in (customer_id, *also) if value}
    now = timezone.now()
    scrubbed = 0
    matching = Q(customer_id__in=identifiers) | Q(customer_source_id__in=identifiers)
    for entry in AuditEntry.objects.filter(matching):
        entry.changes = {field: {"old": ERASED, "new": ERASED} for field in entry.changes or {}}
        entry.customer_id = keyed_hash(customer_id)
        if entry.customer_source_id and entry.scrubbed_at is None:
            entry.customer_source_id = keyed_hash(entry.customer_source_id)
        entry.customer_name = ""
        entry.scrubbed_at = now
        entry.save(
            update_fields=[
                "changes",
                "customer_id",
                "customer_name",
                "customer_source_id",
                "scrubbed_at",
            ]
        )
        scrubbed += 1
    return scrubbed


@erasure.scrubber("audit trail")
def _scrub_audit(person: erasure.ErasedPerson) -> int:
    return scrub_customer(person.customer_id, also=person.identifiers())
