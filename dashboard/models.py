from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Access(models.Model):
    """Holds the dashboard's permissions; the roles (groups) grant them. No table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_customers", "Search, list and read customers"),
            ("edit_customers", "Create and edit customers"),
            ("manage_consents", "Change consents and the global unsubscribe"),
            ("import_customers", "Import CSV, bulk updates and jobs"),
            ("delete_customers", "Delete customers and handle deletion requests"),
            ("view_audit_log", "Read the audit log"),
        ]

    def __str__(self) -> str:
        return "dashboard access"


# Operations recorded with no write to Voucherify (downloads, the dashboard's own records).
LOCAL_OPERATIONS = frozenset(
    {
        "export_customers",
        "export_consent_record",
        "deletion_request_open",
        "deletion_request_verify_identity",
        "deletion_request_approve",
        "deletion_request_refuse",
        "deletion_request_cancel",
        "deletion_request_extend",
        "deletion_request_done",
        "suppression_override",
    }
)


class AuditEntry(models.Model):
    """One change made through the dashboard: who, when, what, on which customer, and how it went.

    `changes` maps a field name to `{"old": ..., "new": ...}`. GDPR erasure (`dashboard.audit.
    scrub_customer`) replaces the personal values with a marker and `customer_id` with a keyed
    hash, keeping who/when/operation/outcome and the field names.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Applied"
        FAILED = "failed", "Failed"
        # Sent, but no answer that says how it went (a timeout): resolved by reading back.
        UNKNOWN = "unknown", "Unknown"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    operation = models.CharField(max_length=64, db_index=True)
    customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Who the customer was when the entry was written, so that the log names them without an
    # API call per row; erasure clears the name and hashes the source id.
    customer_name = models.CharField(max_length=255, blank=True)
    customer_source_id = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.CharField(max_length=255, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.username} {self.operation} {self.customer_id or '-'} ({self.outcome})"

    @property
    def operation_label(self) -> str:
        """The operation in words: "Edited the customer" for `update_customer`."""
        from dashboard.audit import operation_label

        return operation_label(self.operation)

    @property
    def request_id_missing(self) -> str:
        """Why there is no request id (empty when there is one)."""
        if self.request_id:
            return ""
        if self.operation in LOCAL_OPERATIONS:
            return "no call to Voucherify"
        if self.outcome == self.Outcome.SUCCESS:
            return "none: Voucherify sends one with errors only"
        if self.outcome == self.Outcome.UNKNOWN or "Timeout" in self.error:
            return "none: no answer came back"
        return "none: Voucherify was not reached or sent none"


class WriteLock(models.Model):
    """A lease that serialises the writes to one record across every worker process.

    Held by inserting the row (the unique key makes the insert the test-and-set) and released
    by deleting it; `expires_at` lets a lease of a process that died be taken over. No
    transaction is held open during the guarded API call. See `dashboard.locks`.
    """

    key = models.CharField(max_length=255, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.key} held by {self.owner} until {self.expires_at:%H:%M:%S}"


class FormSubmission(models.Model):
    """A rendered form's one-time token: the first POST with it claims it, a resent POST (a
    double click, a reload) gets the first one's result instead of writing again.

    `location` is where the first POST sent the user, once it is known. See `dashboard.once`.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    location = models.CharField(max_length=2048, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"form {self.token[:8]} of {self.user_id}: {self.location or 'in progress'}"
