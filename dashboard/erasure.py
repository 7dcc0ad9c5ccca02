"""The erasure scrub: after a GDPR erasure, no table of the dashboard holds the person's data.

Every model that holds customer data registers one scrubber, next to the model:

    from dashboard import erasure

    @erasure.scrubber("consent ledger")
    def _scrub_ledger(person: erasure.ErasedPerson) -> int:
        ...replace person's identifiers and values by person.hash(...) / erasure.REDACTED...
        return rows_changed

`scrub_everywhere(person)` runs them all (the data-subject request's execution calls it) and
returns the rows changed per scrubber, for the execution log. A scrubber keeps the record of
what was done (who, when, operation, outcome) and drops only the personal values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

ERASED = "[erased]"
REDACTED = ERASED


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of `value` keyed with SECRET_KEY: stable, not reversible without the key.

    Rotating SECRET_KEY makes old hashes unmatchable; that is the accepted price of not
    keeping erased identifiers in clear.
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"hmac:{digest}"


@dataclass(frozen=True)
class ErasedPerson:
    """The identifiers of the customer being erased, as Voucherify knew them."""

    customer_id: str
    source_id: str | None = None
    email: str | None = None
    phone: str | None = None
    name: str | None = None

    def identifiers(self) -> set[str]:
        """The values a record may hold the person under (customer id, source_id, email)."""
        return {v for v in (self.customer_id, self.source_id, self.email, self.phone) if v}

    def personal_values(self) -> set[str]:
        """Everything that identifies the person, the name included: none may remain."""
        return {v for v in (*self.identifiers(), self.name) if v}

    @staticmethod
    def hash(value: str) -> str:
        return keyed_hash(value)


Scrubber = Callable[[ErasedPerson], int]
_SCRUBBERS: dict[str, Scrubber] = {}


def scrubber(name: str) -> Callable[[Scrubber], Scrubber]:
    """Register `func` as the scrubber of the records called `name` (one per model)."""

    def register(func: Scrubber) -> Scrubber:
        _SCRUBBERS[name] = func
        return func

    return register


def scrubbers() -> dict[str, Scrubber]:
    return dict(_SCRUBBERS)


def scrub_everywhere(person: ErasedPerson) -> dict[str, int]:
    """Run every registered scrubber; returns rows changed per scrubber name."""
    return {name: func(person) for name, func in _SCRUBBERS.items()}
