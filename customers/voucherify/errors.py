"""One exception hierarchy for everything the Voucherify API (or the path to it) can do wrong."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class VoucherifyError(Exception):
    """Base class: `status` (None when no response), `key`, `message`, `details`, `request_id`.

    `may_have_applied` tells a write's caller whether Voucherify may have carried the request
    out despite the error (a timeout after sending, a gateway error): its outcome is unknown
    and must be read back, never reported as "not saved".
    """

    may_have_applied = False  # the client sets it False for reads: a GET changes nothing

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        key: str | None = None,
        details: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.key = key
        self.details = details
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.details:
            parts.append(self.details)
        return ": ".join(parts)


class ConnectionFailed(VoucherifyError):
    """Voucherify was not reached: refused connection, DNS failure, connect timeout. Nothing
    was sent."""


class Timeout(VoucherifyError):
    """Voucherify was reached but did not answer within the read timeout: the request was
    sent, so a write may have been applied."""

    may_have_applied = True


class AuthFailed(VoucherifyError):
    """401/403: the app id or token is wrong: a configuration error."""


class NotFound(VoucherifyError):
    """404."""


class ValidationFailed(VoucherifyError):
    """400/409/413/422: the API refused the payload. `field_errors` maps field -> messages."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None, **kw):
        super().__init__(message, **kw)
        self.field_errors = field_errors or {}


class RateLimited(VoucherifyError):
    """429. `retry_after` in seconds when the API said so."""

    def __init__(self, message: str, *, retry_after: int | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(VoucherifyError):
    """5xx, or a body that is not the JSON the API promises."""

    def __init__(self, message: str, **kw) -> None:
        super().__init__(message, **kw)
        # 503 means the request was not taken; a 500 or a gateway's 502/504 may come after
        # Voucherify has done the work.
        self.may_have_applied = self.status != 503


class BadResponse(ServerError):
    """The API answered, but not with the JSON its contract promises (a 2xx of it may well
    have been applied)."""


# "Property .email should be string" / "Property .address.city should be string,null"
_PROPERTY_PROBLEM = re.compile(
    r"Property \.(?P<field>[\w.\[\]-]+) (?P<problem>.+?)(?=[;,]?\s*Property \.|[;\n]|$)"
)


def parse_field_errors(details: str | None) -> dict[str, list[str]]:
    """Field errors from the validator-style `details` text, keyed by dotted path (no dot first).

    `Property .address.city should be string` gives `{"address.city": ["should be string"]}`.
    """
    field_errors: dict[str, list[str]] = {}
    for match in _PROPERTY_PROBLEM.finditer(details or ""):
        field_errors.setdefault(match["field"], []).append(match["problem"].strip())
    return field_errors


def parse_retry_after(value: str | None) -> int | None:
    """Seconds to wait, from a Retry-After header in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - datetime.now(UTC)).total_seconds()))


_DEFAULT_MESSAGES = {
    400: "Invalid request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Resource not found",
    409: "Duplicated resource found",
    413: "Request Entity Too Large",
    422: "Unprocessable entity",
    429: "Too many requests",
}


def error_from_status(status: int, body: Any, *, retry_after: str | None = None) -> VoucherifyError:
    """The exception for an error answer: `status` and its (possibly non-JSON) parsed body.

    Handles the standard `{code, key, message, details, request_id}` body, the Boom-style
    `{statusCode, error, message}` of 413s and the keyless 429 (API_NOTES quirk 22).
    """
    info = body if isinstance(body, dict) else {}
    if "statusCode" in info and "code" not in info:
        message, details = info.get("error"), info.get("message")
    else:
        message, details = info.get("message"), info.get("details")
        if not details and isinstance(info.get("error"), dict):
            details = info["error"].get("message")
    message = message if isinstance(message, str) and message else None
    message = message or _DEFAULT_MESSAGES.get(status) or f"Voucherify answered HTTP {status}"
    kw = {
        "status": status,
        "key": info.get("key") if isinstance(info.get("key"), str) else None,
        "details": details if isinstance(details, str) else None,
        "request_id": info.get("request_id") if isinstance(info.get("request_id"), str) else None,
    }
    if status in (400, 409, 413, 422):
        return ValidationFailed(message, field_errors=parse_field_errors(kw["details"]), **kw)
    if status in (401, 403):
        return AuthFailed(message, **kw)
    if status == 404:
        return NotFound(message, **kw)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(retry_after), **kw)
    if status >= 500:
        return ServerError(message, **kw)
    return VoucherifyError(message, **kw)
