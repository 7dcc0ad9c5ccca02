from __future__ import annotations

from django.db import models


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
