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


class AuditEntry(models.Model):
    """One change made through the dashboard: who, when, what, on which customer, and how it went.

    `changes` maps a field name to `{"old": ..., "new": ...}`. GDPR erasure (`dashboard.audit.
    scrub_customer`) replaces the personal values with a marker and `customer_id` with a keyed
    hash, keeping who/when/operation/outcome and the field names.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    operation = models.CharField(max_length=64, db_index=True)
    customer_id = models.CharField(max_length=255, blank=True, db_index=True)
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
