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


def sync_roles(group_model, permission_model) -> None:
    """Create the role groups and grant them exactly their permissions (idempotent).

    Takes the models so that the data migration can pass its historical ones.
    """
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(
            permission_model.objects.filter(
                content_type__app_label="dashboard", codename__in=codenames
            )
        )
