"""Structured logs: one JSON object a line, carrying our request id, the signed-in user's id and,
where there is one, Voucherify's request id; never a customer's data.

    LOGGING handlers: {"class": "logging.StreamHandler", "formatter": "json",
                       "filters": ["request_context"]}

What keeps personal data out: a URL path is logged as its route (`customers/<path:customer_id>/`),
never as sent (a source_id may be an email address), and no query string at all; Django's own
request and server loggers, which quote the path, are rewritten to the route; an exception is
logged with its type and its stack, never its message (a message may quote a value); the
Voucherify client masks the ids in the paths it logs. Users are logged by id, not by name.

Plain `logging` with a small formatter rather than django-structlog: no dependency, and the
request log line that django-structlog writes carries the full path, the IP address and the
user agent, which would all have to be taken out again.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# A request id a proxy or load balancer set, kept when it looks like one (no injection).
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

# What the current request's log lines carry: request_id, user_id, voucherify_request_id.
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Django loggers whose messages quote the request path: their arguments are replaced.
_PATH_LOGGERS = ("django.request", "django.security", "django.server")
request_log = logging.getLogger("dashboard.request")


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "(no route)"


def request_context(get_response):
    """Middleware (near the top): a request id for every request (kept from the proxy's
    X-Request-ID when valid, sent back in the answer), and one log line per request."""

    def middleware(request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        context = {"request_id": request_id, "request": request}
        request.log_context = context
        token = _context.set(context)
        started = time.perf_counter()
        try:
            response = get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            request_log.info(
                "%s %s %s",
                request.method,
                _route(request),
                response.status_code,
                extra={
                    "method": request.method,
                    "route": _route(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _context.reset(token)

    return middleware


class RequestContextFilter(logging.Filter):
    """Adds the request's ids to every record, and takes the path out of Django's records
    (Django logs a 4xx or 5xx answer after the middleware returned: its record carries the
    request, which carries our context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        context = _context.get() or getattr(request, "log_context", None)
        if context is not None:
            record.request_id = context["request_id"]
            user = getattr(context["request"], "user", None)
            if user is not None and user.is_authenticated:
                record.user_id = user.pk
            # A failed call's request id (the client logs it) is repeated on the request's line.
            if getattr(record, "voucherify_request_id", None):
                context["voucherify_request_id"] = record.voucherify_request_id
            elif "voucherify_request_id" in context:
                record.voucherify_request_id = context["voucherify_request_id"]
        if record.name.startswith(_PATH_LOGGERS):
            _without_path(record, request)
        return True


def _without_path(record: logging.LogRecord, request) -> None:
    """`Not Found: /customers/ann@example.com/` becomes `Not Found: customers/<path:...>/`."""
    if not isinstance(record.args, tuple):
        return
    if record.name == "django.server":
        # runserver's '"%s" %s %s': the request line holds the path and the query string.
        method = str(record.args[0]).split(" ", 1)[0] if record.args else ""
        record.args = (method, *record.args[1:])
    elif isinstance(request, HttpRequest):
        quoted = {request.path, request.path_info, request.get_full_path()}
        record.args = tuple(_route(request) if arg in quoted else arg for arg in record.args)
    record.request = None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context ids, the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name != "request" and value is not None:
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, tb = record.exc_info
            entry["exception"] = f"{kind.__module__}.{kind.__qualname__}"
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} in {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(entry, default=str, ensure_ascii=False)
