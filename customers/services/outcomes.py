"""What a write came to, as the view renders it: applied, refused, or unknown (DESIGN.md,
"Writes never lie"). A refusal that wrote nothing is raised as a `VoucherifyError`; these are
the outcomes a view must tell apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from customers.voucherify.errors import VoucherifyError
from customers.voucherify.resources import Customer


@dataclass(frozen=True)
class Saved:
    """Applied. `merged` names the fields someone else changed meanwhile that were kept;
    `checked` is true when a timeout hid the answer and a read-back showed the change."""

    customer: Customer
    merged: tuple[str, ...] = ()
    checked: bool = False


@dataclass(frozen=True)
class NoChanges:
    """Nothing to send: the form holds what the customer already has."""

    customer: Customer | None = None


@dataclass(frozen=True)
class ConflictRow:
    label: str
    opened: Any
    now: Any
    yours: Any


@dataclass(frozen=True)
class Conflict:
    """Someone else changed a field this user changed too, to another value: nothing was sent.

    `version` is what a "save anyway" must echo back; `merged` the fields of theirs that a
    save keeps."""

    current: Customer
    version: str
    rows: tuple[ConflictRow, ...]
    merged: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsertWouldUpdate:
    """A create whose source_id exists: Voucherify would update that customer."""

    existing: Customer


@dataclass(frozen=True)
class OutcomeUnknown:
    """Sent, but no answer said how it went, and reading back did not settle it.

    `current` is what is there now (None when that could not be read either); the audit
    entry stays `unknown`."""

    error: VoucherifyError
    current: Customer | None = None
