from __future__ import annotations

from django.contrib import admin

from customers.models import ConsentLedgerEntry
from dashboard.admin import ReadOnlyAdmin


@admin.register(ConsentLedgerEntry)
class ConsentLedgerAdmin(ReadOnlyAdmin):
    """Read-only: the ledger is append-only evidence; nobody edits or deletes an entry."""

    list_display = (
        "recorded_at",
        "customer_id",
        "consent_name",
        "old_state",
        "new_state",
        "method",
        "username",
        "outcome",
    )
    list_filter = ("outcome", "method", "new_state")
    search_fields = ("customer_id", "consent_id", "consent_name", "username", "ticket")
    date_hierarchy = "recorded_at"
