"""The one table of API failures the pages are tested against: the error a client call raises,
the status the page answers with, and the title the user reads."""

from __future__ import annotations

from customers.voucherify import (
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
)


def as_read(error):
    """`error` as the client raises it for a GET: a failed read changed nothing."""
    error.may_have_applied = False
    return error


NOT_FOUND = (NotFound("Resource not found", status=404, key="not_found"), 404, "Not found")
BUSY = (RateLimited("Too many", status=429, retry_after=7), 429, "Voucherify is busy")
UNREACHABLE = (ConnectionFailed("refused"), 503, "Voucherify is unreachable")
UNAVAILABLE = (ServerError("Unavailable", status=503), 502, "Voucherify had a problem")
BROKEN = (ServerError("boom", status=500, request_id="v-123"), 502, "Voucherify had a problem")


def slow():
    return (Timeout("read timeout"), 504, "Voucherify is slow")


# Reads: every failure a GET can meet (a slow read changed nothing).
READ_FAILURES = [
    (as_read(error), status, title)
    for error, status, title in [NOT_FOUND, BUSY, UNREACHABLE, slow(), BROKEN]
]
# Writes after which nothing was written (the write's unknown outcomes are tested apart).
WRITE_NOT_APPLIED = [BUSY, UNREACHABLE, UNAVAILABLE]
