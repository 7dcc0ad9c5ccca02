"""One exception hierarchy for everything the Voucherify API (or the path to it) can do wrong."""

from __future__ import annotations


class VoucherifyError(Exception):
    """Base class: `status` (None when no response), `key`, `message`, `details`, `request_id`."""

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
    """No usable answer: refused connection, DNS failure, timeout."""


class Timeout(ConnectionFailed):
    """The API did not answer within the configured timeout."""


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


class BadResponse(ServerError):
    """The API answered, but not with the JSON its contract promises."""
