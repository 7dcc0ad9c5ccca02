"""Values every page's template needs."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

SANDBOX_PATH = "/sandbox"  # where the dashboard serves its sandbox's HTTP API (dashboard/urls)


def on_sandbox() -> bool:
    """Whether the customers are the sandbox's made-up ones: the embedded sandbox, or a
    dashboard's sandbox reached over HTTP (an API URL ending in /sandbox)."""
    if settings.VOUCHERIFY_USE_SANDBOX:
        return True
    return urlsplit(settings.VOUCHERIFY_API_URL).path.rstrip("/").endswith(SANDBOX_PATH)


def backend(request: HttpRequest) -> dict[str, bool]:
    """`sandbox_backend`: base.html then shows a banner, as Stripe shows test mode."""
    return {"sandbox_backend": on_sandbox()}
