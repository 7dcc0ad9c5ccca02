"""The suppression list: keyed hashes of erased people's source_id, email and phone.

Every path that creates customers (the create form, the CSV import, bulk updates, which upsert)
asks `suppressed_identifiers` first, so that an erased person is not quietly brought back.
Only hashes are kept: the list cannot be read back into the identifiers it blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from customers.models.privacy import DataSubjectRequest, SuppressedIdentifier
from dashboard import erasure
from dashboard.audit import audited

KINDS = ("source_id", "email", "phone")
OVERRIDE_PERMISSIONS = ("dashboard.edit_customers", "dashboard.delete_customers")
_PHONE_NOISE = re.compile(r"[\s().\-/]")


def normalise(kind: str, value: str) -> str:
    """The form a value is hashed in: emails without case, phones without spacing."""
    value = value.strip()
    if kind == "email":
        return value.casefold()
    if kind == "phone":
        return _PHONE_NOISE.sub("", value)
    return value


def identifier_hash(kind: str, value: str) -> str:
    return erasure.keyed_hash(f"{kind}:{normalise(kind, value)}")


def suppressed_identifiers(
    *, source_id: str | None = None, email: str | None = None, phone: str | None = None
) -> list[str]:
    """The kinds among `source_id`, `email`, `phone` that belong to an erased person, in
    that order (e.g. `["email"]`); empty when the values are free to use."""
    given = {"source_id": source_id, "email": email, "phone": phone}
    hashes = {kind: identifier_hash(kind, value) for kind, value in given.items() if value}
    if not hashes:
        return []
    found = set(
        SuppressedIdentifier.objects.filter(value_hash__in=hashes.values()).values_list(
            "kind", "value_hash"
        )
    )
    return [kind for kind in KINDS if kind in hashes and (kind, hashes[kind]) in found]


def suppression_matcher() -> Callable[..., list[str]] | None:
    """`suppressed_identifiers` for many rows at once (an import preview): the list is read
    once into memory; None when it is empty, so that the common case costs nothing."""
    known = set(SuppressedIdentifier.objects.values_list("kind", "value_hash"))
    if not known:
        return None

    def matches(*, source_id=None, email=None, phone=None) -> list[str]:
        given = {"source_id": source_id, "email": email, "phone": phone}
        return [
            kind
            for kind in KINDS
            if given[kind] and (kind, identifier_hash(kind, given[kind])) in known
        ]

    return matches


def suppression_add(
    *,
    request: DataSubjectRequest | None,
    source_id: str | None,
    email: str | None,
    phone: str | None,
) -> list[str]:
    """Put an erased person's identifiers on the list (idempotent); returns the kinds added."""
    given = {"source_id": source_id, "email": email, "phone": phone}
    added = []
    for kind in KINDS:
        if given[kind]:
            SuppressedIdentifier.objects.get_or_create(
                kind=kind,
                value_hash=identifier_hash(kind, given[kind]),
                defaults={"request": request},
            )
            added.append(kind)
    return added


def can_override(user) -> bool:
    """Admins only: someone who may both create customers and handle erasures."""
    return all(user.has_perm(permission) for permission in OVERRIDE_PERMISSIONS)


@dataclass(frozen=True)
class Suppressed:
    """A create stopped because it would re-create an erased person."""

    kinds: tuple[str, ...]
    can_override: bool

    @property
    def message(self) -> str:
        what = " and ".join(SuppressedIdentifier.Kind(kind).label for kind in self.kinds)
        return (
            f"This {what} belonged to a customer who was erased at their request (GDPR "
            "Art. 17). Creating the customer would bring their data back, so nothing was sent."
        )


def suppression_check(
    *,
    source_id: str | None,
    email: str | None,
    phone: str | None,
    override: bool,
    user,
) -> Suppressed | None:
    """None when a create may go ahead; `Suppressed` when it must stop.

    An admin's explicit `override` lets it through and is recorded in the audit trail (which
    kinds matched, never the values); anyone else's is ignored.
    """
    kinds = suppressed_identifiers(source_id=source_id, email=email, phone=phone)
    if not kinds:
        return None
    allowed = can_override(user)
    if not (override and allowed):
        return Suppressed(tuple(kinds), allowed)
    with audited(user, "suppression_override", changes={kind: (None, "matched") for kind in kinds}):
        pass
    return None
