"""Data-subject requests (GDPR Art. 15 access, Art. 17 erasure, and plain deletion) and the
suppression list of erased identifiers.

A request holds who it is about (the customer's id, source_id and email; name and phone too
once it is executed) only until that person is erased: the scrubbers below replace those with
keyed hashes and redact the free text, keeping the record of what was done (kind, ticket,
dates, who did each step, Voucherify's receipt, the verification, the certificate).
"""

from __future__ import annotations

import calendar
import datetime
import re
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dashboard import erasure
from dashboard.models import FormSubmission, WriteLock

HASH_PREFIX = "hmac:"
FIRST_PERIOD_MONTHS = 1  # Art. 12(3): one month from receipt
MAX_EXTENSION_MONTHS = 2  # "... extended by two further months where necessary"


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day when it has no such day (31 Jan +
    1 month = 28/29 Feb), the usual reading of "one month" in Art. 12(3)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def hashed(value: str) -> str:
    """`value`'s keyed hash; a value that already is one stays as it is (scrubs are idempotent)."""
    if not value or value.startswith(HASH_PREFIX):
        return value
    return erasure.keyed_hash(value)


class DataSubjectRequest(models.Model):
    """One request from a data subject, from receipt to its outcome."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", "Permanent erasure (Art. 17)"
        DELETION = "deletion", "Deletion"
        ACCESS = "access", "Access (Art. 15)"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        IDENTITY_VERIFIED = "identity_verified", "Identity verified"
        APPROVED = "approved", "Approved"
        EXECUTING = "executing", "Executing"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"

    class Phase(models.TextChoices):
        """Where an execution stands, while the status is `executing`."""

        SENDING = "sending", "Sent to Voucherify, waiting for the answer"
        UNKNOWN = "unknown", "Outcome unknown: to be settled by re-reading"
        CONFIRMING = "confirming", "Applied: waiting for Voucherify to finish and the checks"

    class IdentityMethod(models.TextChoices):
        EMAIL = "email_confirmation", "Confirmed from the email address on file"
        ACCOUNT = "account_signin", "Request made from their signed-in account"
        DOCUMENT = "id_document", "Identity document checked"
        KNOWLEDGE = "knowledge", "Answered questions only they can answer"
        OTHER = "other", "Other (described in the note)"

    class RefusalGround(models.TextChoices):
        IDENTITY = "identity_not_verified", "Identity not verified (Art. 12(6))"
        EXPRESSION = "art17_3_a", "Art. 17(3)(a): freedom of expression and information"
        LEGAL_OBLIGATION = "art17_3_b", "Art. 17(3)(b): a legal obligation or a public task"
        PUBLIC_HEALTH = "art17_3_c", "Art. 17(3)(c): public interest in public health"
        ARCHIVING = "art17_3_d", "Art. 17(3)(d): archiving, research or statistics"
        LEGAL_CLAIMS = "art17_3_e", "Art. 17(3)(e): legal claims"
        UNFOUNDED = "art12_5", "Art. 12(5): manifestly unfounded or excessive"
        OTHERS_RIGHTS = "art15_4", "Art. 15(4): would harm the rights of others"

    OPEN = (
        Status.RECEIVED,
        Status.IDENTITY_VERIFIED,
        Status.APPROVED,
        Status.EXECUTING,
        Status.FAILED,
    )
    DESTRUCTIVE = (Kind.ERASURE, Kind.DELETION)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    # Bumped by every change: the page's poll answers "unchanged" by comparing it.
    version = models.PositiveIntegerField(default=1)

    # Who it is about. Personal data: keyed hashes once the person is erased.
    customer_id = models.CharField(max_length=255, db_index=True)
    source_id = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    # Taken when the request is executed, so that a resumed execution can still scrub.
    name = models.CharField(max_length=255, blank=True)
    phone = models.CharField(max_length=255, blank=True)

    ticket = models.CharField(max_length=100)
    received_on = models.DateField()
    due_on = models.DateField(db_index=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)

    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField(blank=True)
    extended_by_name = models.CharField(max_length=150, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)

    identity_method = models.CharField(max_length=32, choices=IdentityMethod.choices, blank=True)
    identity_note = models.TextField(blank=True)
    identity_verified_by_name = models.CharField(max_length=150, blank=True)
    identity_verified_at = models.DateTimeField(null=True, blank=True)

    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by_name = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    refusal_ground = models.CharField(max_length=32, choices=RefusalGround.choices, blank=True)
    refusal_note = models.TextField(blank=True)
    refused_by_name = models.CharField(max_length=150, blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)

    cancel_note = models.TextField(blank=True)
    cancelled_by_name = models.CharField(max_length=150, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    # Execution: attempts, the one in flight, and the last failure (status/key, no message).
    phase = models.CharField(max_length=16, choices=Phase.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    executed_by_name = models.CharField(max_length=150, blank=True)
    execution_started_at = models.DateTimeField(null=True, blank=True)
    audit_entry_id = models.PositiveBigIntegerField(null=True, blank=True)
    # An attempt ended with an unknown outcome: it may still land after a re-read said it had
    # not, so a later "not found" from Voucherify means "already applied".
    had_unknown_outcome = models.BooleanField(default=False)
    last_error = models.CharField(max_length=255, blank=True)
    last_error_request_id = models.CharField(max_length=64, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # What the erasure or deletion cost: counts only (points, orders, segments, referrals).
    loss = models.JSONField(default=dict, blank=True)

    # Voucherify's receipt of a permanent deletion (`del_...`, status, counts).
    deletion_id = models.CharField(max_length=64, blank=True)
    receipt_status = models.CharField(max_length=32, blank=True)
    receipt_counts = models.JSONField(default=dict, blank=True)
    receipt_created_at = models.DateTimeField(null=True, blank=True)
    # How the dashboard knows the call was applied: "receipt", or "re-read" after a timeout.
    applied_how = models.CharField(max_length=255, blank=True)

    verification = models.JSONField(default=dict, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    scrub_counts = models.JSONField(default=dict, blank=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    certificate = models.JSONField(null=True, blank=True)
    # The Art. 15 export (personal data: dropped if the person is later erased).
    export = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.label} {self.kind} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("privacy:detail", args=[self.pk])

    @property
    def label(self) -> str:
        return f"DSR-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_destructive(self) -> bool:
        return self.kind in self.DESTRUCTIVE

    @property
    def erased(self) -> bool:
        return self.scrubbed_at is not None

    @property
    def first_due_on(self) -> datetime.date:
        return add_months(self.received_on, FIRST_PERIOD_MONTHS)

    def days_left(self, today: datetime.date | None = None) -> int:
        return (self.due_on - (today or timezone.localdate())).days

    def overdue(self, today: datetime.date | None = None) -> bool:
        return self.is_open and self.days_left(today) < 0

    def overdue_by(self, today: datetime.date | None = None) -> int:
        return max(0, -self.days_left(today))

    def scrub(self, person: erasure.ErasedPerson, now: datetime.datetime) -> None:
        """Drop `person`'s data from this request; the record of what was done stays."""
        for field in ("customer_id", "source_id", "email", "phone"):
            setattr(self, field, hashed(getattr(self, field)))
        self.name = erasure.REDACTED if self.name else ""
        # Free text may say anything about the person: it goes whole.
        for field in ("notes", "identity_note"):
            if getattr(self, field):
                setattr(self, field, erasure.REDACTED)
        for field in ("ticket", "refusal_note", "cancel_note", "extension_reason"):
            setattr(self, field, redact_text(getattr(self, field), person))
        self.export = None
        self.scrubbed_at = self.scrubbed_at or now
        self.version += 1


class SuppressedIdentifier(models.Model):
    """A keyed hash of an erased person's source_id, email or phone: a create that would bring
    the person back is stopped (see `customers.services.suppression`)."""

    class Kind(models.TextChoices):
        SOURCE_ID = "source_id", "source id"
        EMAIL = "email", "email"
        PHONE = "phone", "phone"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    value_hash = models.CharField(max_length=80)
    request = models.ForeignKey(
        DataSubjectRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["kind", "value_hash"], name="suppressed_once")
        ]

    def __str__(self) -> str:
        return f"suppressed {self.kind} {self.value_hash[:16]}"


def redact_text(text: str, person: erasure.ErasedPerson) -> str:
    """`text` with every one of `person`'s values replaced by the redaction marker."""
    for value in sorted(person.personal_values(), key=len, reverse=True):
        if text and value:
            text = re.sub(re.escape(value), erasure.REDACTED, text, flags=re.IGNORECASE)
    return text


def _forms_of(value: str) -> set[str]:
    """A value as it may appear in a URL: as is and percent-encoded."""
    return {value, quote(value, safe=""), quote(value)}


@erasure.scrubber("data-subject requests")
def _scrub_requests(person: erasure.ErasedPerson) -> int:
    identifiers = person.identifiers()
    about = Q(customer_id__in=identifiers) | Q(source_id__in=identifiers)
    if person.email:
        about |= Q(email__iexact=person.email)
    now = timezone.now()
    scrubbed = 0
    for request in DataSubjectRequest.objects.filter(about):
        request.scrub(person, now)
        request.save()
        scrubbed += 1
    return scrubbed


@erasure.scrubber("form replays")
def _scrub_form_replays(person: erasure.ErasedPerson) -> int:
    """A claimed form remembers where it sent the user (a profile URL names the customer):
    a replay of it now lands on the customers list."""
    names = Q()
    for identifier in person.identifiers():
        for form in _forms_of(identifier):
            names |= Q(location__contains=form)
    return FormSubmission.objects.filter(names).update(location=reverse("customers:list"))


@erasure.scrubber("write locks")
def _scrub_write_locks(person: erasure.ErasedPerson) -> int:
    """A lease left behind by a process that died keeps the customer's id in its key."""
    now = timezone.now()
    names = Q()
    for identifier in person.identifiers():
        names |= Q(key__contains=identifier)
    deleted, _ = WriteLock.objects.filter(names, expires_at__lt=now).delete()
    return deleted
