"""The roles of DESIGN.md: Django groups and the permissions each one grants."""

from __future__ import annotations

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "support": ("view_customers", "edit_customers"),
    "marketing": ("view_customers", "manage_consents", "import_customers"),
    "compliance": ("view_customers", "delete_customers", "view_audit_log"),
    "admin": (
        "view_customers",
        "edit_customers",
        "manage_consents",
        "import_customers",
        "delete_customers",
        "view_audit_log",
    ),
}
