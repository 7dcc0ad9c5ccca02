"""The service layer: the only code that speaks HTTP to Voucherify (or the sandbox).

`get_client()` returns the process-wide client built from settings; `get_client.cache_clear()`
drops it (tests that change the VOUCHERIFY_* settings do so). `override` is the one seam for a
stand-in client: every view, service and task that calls `get_client()` gets it.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.utils.module_loading import import_string

from customers.voucherify.client import VoucherifyClient, format_date
from customers.voucherify.errors import (
    AuthFailed,
    BadResponse,
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
    VoucherifyError,
)

SANDBOX_BASE_URL = "http://sandbox.local"
SANDBOX_ADAPTER = "sandbox.transport.SandboxAdapter"


# Set by tests (tests/conftest.py `fake_client`) to answer every caller with a stand-in.
override: VoucherifyClient | None = None


def get_client() -> VoucherifyClient:
    """The client for the configured backend: the embedded sandbox unless credentials are set."""
    return override if override is not None else _configured_client()


@functools.cache
def _configured_client() -> VoucherifyClient:
    if settings.VOUCHERIFY_USE_SANDBOX:
        # Imported here so that the service layer does not depend on the sandbox app.
        adapter = import_string(SANDBOX_ADAPTER)()
        return VoucherifyClient(
            SANDBOX_BASE_URL,
            settings.SANDBOX_APP_ID,
            settings.SANDBOX_APP_TOKEN,
            timeout=settings.VOUCHERIFY_TIMEOUT,
            adapter=adapter,
            backend="sandbox",
        )
    return VoucherifyClient(
        settings.VOUCHERIFY_API_URL,
        settings.VOUCHERIFY_APP_ID,
        settings.VOUCHERIFY_APP_TOKEN,
        timeout=settings.VOUCHERIFY_TIMEOUT,
        backend="voucherify",
    )


get_client.cache_clear = _configured_client.cache_clear  # type: ignore[attr-defined]

__all__ = [
    "AuthFailed",
    "BadResponse",
    "ConnectionFailed",
    "NotFound",
    "RateLimited",
    "ServerError",
    "Timeout",
    "ValidationFailed",
    "VoucherifyClient",
    "VoucherifyError",
    "format_date",
    "get_client",
]
