from __future__ import annotations

import os
import sys

from django.apps import AppConfig
from django.conf import settings


def _serving() -> bool:
    """True in the process that serves runserver's requests (not its autoreloader parent)."""
    if "runserver" not in sys.argv:
        return False
    return os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv


class SandboxConfig(AppConfig):
    name = "sandbox"
    verbose_name = "Voucherify sandbox"

    def ready(self):
        # Other servers (gunicorn, ...) start the worker lazily on the first sandbox request,
        # after forking; migrate, shell and tests never start it.
        if settings.SANDBOX_WORKER and _serving():
            from sandbox import jobs

            jobs.start_worker()
