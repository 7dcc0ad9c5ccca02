"""The consent ledger: the dashboard's append-only evidence of every consent change (GDPR
Art. 7(1)). Voucherify enforces a customer's consents and records no actor, method or reason;
this ledger proves who asked for what, when, how, to which wording, and what Voucherify did.

One entry per consent per change. Entries are never edited and never deleted: a correction is
a new entry. `save` refuses any other change to a stored entry than these two:

- the outcome of an entry written before its request was sent (`unknown`) is settled once,
  to `applied` or `failed`, when Voucherify answers or a read-back tells (`settle`); the
  error that left it unknown (a timeout) may be noted on it once before that
  (`note_unanswered`). The entry is written first so that a crash between the request and its
  answer leaves an `unknown` entry, never a change applied without evidence; the answer is
  Voucherify's, it does not alter what was asked, by whom or why.
- the GDPR erasure replaces the customer's identifiers by keyed hashes (`_scrub_ledger`).
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from dashboard import erasure

# The consent id of the entries that record the global opt-out (`unsubscribed` in the API).
UNSUBSCRIBE_ALL = "unsubscribed"


class LedgerIsAppendOnly(Exception):
    """An attempt to edit or delete a consent ledger entry: write a new entry instead."""


def wording_fingerprint(name: str | None, description: str | None) -> str:
    """sha256 of the wording shown (name, then description): a later rewording shows."""
    text = f"{name or ''}\n{description or ''}"
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class LedgerQuerySet(models.QuerySet):
    """Bulk edits and deletes would bypass `save`'s checks: there are none."""

    def update(self, **kwargs):
        raise LedgerIsAppendOnly("Consent ledger entries are never edited in bulk.")

    def delete(self):
        raise LedgerIsAppendOnly("Consent ledger entries are never deleted.")

    update.queryset_only = True
    delete.queryset_only = True


class ConsentLedgerEntry(models.Model):
    class State(models.TextChoices):
        GRANTED = "granted", "Granted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        NEVER_ASKED = "never_asked", "Never asked"
        # The global opt-out (consent_id `unsubscribed`).
        SUBSCRIBED = "subscribed", "Not unsubscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed from all"

    class Method(models.TextChoices):
        PHONE = "phone", "Phone"
        EMAIL = "email", "Email"
        IN_PERSON = "in_person", "In person"
        WRITTEN = "written", "Written (letter, form)"
        WEB_FORM = "web_form", "Web form"
        OTHER = "other", "Other"

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        # Sent, no answer said how it went: settled by reading the customer back.
        UNKNOWN = "unknown", "Unknown"

    # The entries of one submission share it (one PUT, one audit entry).
    change_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    customer_id = models.CharField(max_length=255, db_index=True)
    consent_id = models.CharField(max_length=64)
    consent_name = models.CharField(max_length=255)
    consent_description = models.TextField(blank=True)
    wording_fingerprint = models.CharField(max_length=80)
    old_state = models.CharField(max_length=16, choices=State.choices)
    new_state = models.CharField(max_length=16, choices=State.choices)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=16, choices=Method.choices)
    reason = models.TextField()
    ticket = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.UNKNOWN)
    error = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    # How an unknown outcome was settled ("Voucherify answered", "re-read the customer").
    settled_how = models.CharField(max_length=255, blank=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True)

    objects = LedgerQuerySet.as_manager()

    # The fields each permitted change of a stored entry may touch.
    SETTLE_FIELDS = frozenset({"outcome", "error", "request_id", "settled_at", "settled_how"})
    SCRUB_FIELDS = frozenset({"customer_id", "reason", "ticket", "error", "scrubbed_at"})
    NOTE_FIELDS = frozenset({"error", "request_id"})

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = "consent ledger entry"
        verbose_name_plural = "consent ledger"
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["customer_id", "consent_id"], name="ledger_customer_consent")
        ]

    def __str__(self) -> str:
        return f"{self.consent_name}: {self.old_state} -> {self.new_state} ({self.outcome})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._check_permitted_change(kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("Consent ledger entries are never deleted.")

    @property
    def is_unsubscribe(self) -> bool:
        return self.consent_id == UNSUBSCRIBE_ALL

    @property
    def granted(self) -> bool | None:
        """The consent's value after this change (for the global row: True = opted out)."""
        if self.new_state in (self.State.GRANTED, self.State.UNSUBSCRIBED):
            return True
        if self.new_state in (self.State.WITHDRAWN, self.State.SUBSCRIBED):
            return False
        return None

    def _check_permitted_change(self, update_fields) -> None:
        stored = type(self).objects.filter(pk=self.pk).values().first()
        if stored is None:
            raise LedgerIsAppendOnly("A consent ledger entry is never re-created.")
        changed = {
            field.attname
            for field in self._meta.concrete_fields
            if getattr(self, field.attname) != stored[field.attname]
        }
        if update_fields is None or not changed <= set(update_fields):
            raise LedgerIsAppendOnly("Save a changed ledger entry with its update_fields.")
        settling = stored["outcome"] == self.Outcome.UNKNOWN and self.outcome in (
            self.Outcome.APPLIED,
            self.Outcome.FAILED,
        )
        if settling and changed <= self.SETTLE_FIELDS:
            return
        noting = (
            stored["outcome"] == self.outcome == self.Outcome.UNKNOWN
            and not stored["error"]
            and not stored["request_id"]
        )
        if noting and changed <= self.NOTE_FIELDS:
            return
        if self.scrubbed_at is not None and changed <= self.SCRUB_FIELDS:
            return
        raise LedgerIsAppendOnly(
            f"Consent ledger entries are never edited ({', '.join(sorted(changed))}); "
            "record a correction as a new entry."
        )

    def note_unanswered(self, *, error: str, request_id: str = "") -> None:
        """Keep the error that left an `unknown` entry unsettled (a timeout), once."""
        if self.outcome != self.Outcome.UNKNOWN or self.error or self.request_id:
            return
        self.error, self.request_id = error[:500], request_id[:64]
        self.save(update_fields=sorted(self.NOTE_FIELDS))

    def settle(self, *, applied: bool, how: str, error: str = "", request_id: str = "") -> bool:
        """Settle an `unknown` outcome once; False (nothing saved) if it is settled already."""
        with transaction.atomic():
            # Another request may have settled it meanwhile: read the stored outcome first.
            stored = type(self).objects.select_for_update().filter(pk=self.pk).first()
            if stored is None or stored.outcome != self.Outcome.UNKNOWN:
                if stored is not None:
                    self.refresh_from_db()
                return False
            self.outcome = self.Outcome.APPLIED if applied else self.Outcome.FAILED
            self.error = (error or stored.error)[:500]
            self.request_id = (request_id or stored.request_id)[:64]
            self.settled_at = timezone.now()
            self.settled_how = how[:255]
            self.save(update_fields=sorted(self.SETTLE_FIELDS))
        return True


def _mentions(text: str, values: set[str]) -> bool:
    folded = text.casefold()
    return any(value.casefold() in folded for value in values)


@erasure.scrubber("consent ledger")
def _scrub_ledger(person: erasure.ErasedPerson) -> int:
    """Keep every entry (who, when, which consent and wording, old -> new, method, outcome);
    the customer id becomes its keyed hash. The reason is free text written about the person,
    so it is redacted; a ticket reference or an error that quotes one of the person's values
    is redacted too. Idempotent."""
    identifiers = person.identifiers()
    personal = person.personal_values()
    hashed = erasure.keyed_hash(person.customer_id)
    now = timezone.now()
    scrubbed = 0
    for entry in ConsentLedgerEntry.objects.filter(customer_id__in=identifiers):
        entry.customer_id = hashed
        entry.reason = erasure.REDACTED
        if entry.ticket and _mentions(entry.ticket, personal):
            entry.ticket = erasure.REDACTED
        if entry.error and _mentions(entry.error, personal):
            entry.error = erasure.REDACTED
        entry.scrubbed_at = now
        entry.save(update_fields=sorted(ConsentLedgerEntry.SCRUB_FIELDS))
        scrubbed += 1
    return scrubbed
