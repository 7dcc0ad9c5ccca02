"""The service layer: the only code that speaks HTTP to Voucherify (or the sandbox)."""

from __future__ import annotations

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


def get_client():
    raise NotImplementedError("the client lands with the service layer")


__all__ = [
    "AuthFailed",
    "BadResponse",
    "ConnectionFailed",
    "NotFound",
    "RateLimited",
    "ServerError",
    "Timeout",
    "ValidationFailed",
    "VoucherifyError",
    "get_client",
]
