"""Values every page's template needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def backend(request: HttpRequest) -> dict[str, bool]:
    """`sandbox_backend`: the dashboard runs on the sandbox's made-up customers (base.html
    shows a banner, as Stripe shows test mode)."""
    return {"sandbox_backend": settings.VOUCHERIFY_USE_SANDBOX}
