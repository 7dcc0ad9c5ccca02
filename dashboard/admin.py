from __future__ import annotations

from django.contrib import admin

from dashboard.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the dashboard writes alone (evidence): shown in the admin, never edited there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the trail is written by the dashboard alone, never edited by hand."""

    list_display = ("created_at", "username", "operation", "customer_id", "outcome", "request_id")
    list_filter = ("outcome", "operation")
    search_fields = ("username", "operation", "customer_id", "request_id")
    date_hierarchy = "created_at"
