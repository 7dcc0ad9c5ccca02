from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        # Registers the audit trail's erasure scrubber (dashboard.erasure).
        from dashboard import audit  # noqa: F401
