from __future__ import annotations

SANDBOX_DB = "sandbox"


class SandboxRouter:
    """The sandbox's models live in their own database alias, apart from the dashboard's."""

    def db_for_read(self, model, **hints):
        return SANDBOX_DB if model._meta.app_label == "sandbox" else "default"

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return (obj1._meta.app_label == "sandbox") == (obj2._meta.app_label == "sandbox")

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "sandbox":
            return db == SANDBOX_DB
        return db != SANDBOX_DB
