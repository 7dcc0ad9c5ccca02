"""Faults injected at the transport, under the real client's retries and error mapping.

`FaultyAdapter` is the client's own `HTTPAdapter` (with `default_retry()`), whose connection
pool never opens a socket: `_make_request`, the one call urllib3's `urlopen` retries around,
answers from the in-process sandbox, or fails as a network would (connect timeout, read
timeout, refused connection), or answers a canned status. So urllib3's Retry (counts, methods,
status list, Retry-After) and the client's `_transport_error` / `handle_response` all run.
Retry's sleeps are recorded, not slept (`no_sleep`).

`raw_paths` keeps every request line's path as it went on the wire (the quoting tests).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.response import HTTPResponse

from customers.voucherify import SANDBOX_BASE_URL, VoucherifyClient
from customers.voucherify.client import default_retry

REQUEST_ID = "v-req-7f3a"  # Voucherify's request id in the canned error bodies


def _json_error(status: int, key: str, message: str) -> bytes:
    return (
        f'{{"code": {status}, "key": "{key}", "message": "{message}", '
        f'"details": "", "request_id": "{REQUEST_ID}"}}'
    ).encode()


@dataclass(frozen=True)
class Fault:
    """One way a call to Voucherify goes wrong. `raise_` names a network failure; otherwise
    the canned answer (`status`, `body`, `headers`). `applies`: the sandbox carries the
    request out first (the answer is then lost or replaced)."""

    name: str
    raise_: str | None = None
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    applies: bool = False


FAULTS = [
    Fault("connect_timeout", raise_="connect_timeout"),
    Fault("read_timeout", raise_="read_timeout"),
    Fault("refused", raise_="refused"),
    Fault("500", status=500, body=_json_error(500, "internal_error", "Internal Server Error")),
    Fault("502", status=502, body=b"<html><body>Bad Gateway</body></html>"),
    Fault("503", status=503, body=b"<html><body>Service Unavailable</body></html>"),
    Fault("504", status=504, body=b"<html><body>Gateway Timeout</body></html>"),
    Fault(
        "429",
        status=429,
        body=b'{"code": 429, "message": "Too many requests"}',
        headers={"Retry-After": "7"},
    ),
    Fault("malformed_json", status=200, body=b'{"object": "customer", "id": '),
    Fault("html_200", status=200, body=b"<!doctype html><html><body>Login</body></html>"),
    # Some gateways echo the refused token: it must reach no page and no log line.
    Fault("401", status=401, body=_json_error(401, "unauthorized", "Bad token {token}")),
    Fault("late_answer", raise_="read_timeout", applies=True),
]


class FaultPlan:
    """Which calls fail: `fault` for every call matching `method` (None: every method)."""

    def __init__(self) -> None:
        self.fault: Fault | None = None
        self.method: str | None = None
        self.raw_paths: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self.sleeps: list[float] = []

    def hits(self, method: str) -> bool:
        return self.fault is not None and self.method in (None, method)


def _pool_class(plan: FaultPlan, sandbox):
    class FaultyPool(HTTPConnectionPool):
        def _make_request(self, conn, method, url, body=None, headers=None, **kw):
            headers_in = headers
            plan.raw_paths.append(url)
            plan.calls.append((method, url.split("?")[0]))
            fault = plan.fault if plan.hits(method) else None
            if fault is not None and fault.raise_ == "connect_timeout":
                raise ConnectTimeoutError(conn, "Connection to sandbox.local timed out")
            if fault is not None and fault.raise_ == "refused":
                raise NewConnectionError(conn, "[Errno 111] Connection refused")
            if fault is None or fault.applies:
                answer = sandbox.send(_prepared(method, url, body, headers))
                if fault is None:
                    return _response(answer.status_code, answer.content, answer.headers, method)
            if fault.raise_ == "read_timeout":
                raise ReadTimeoutError(self, url, "Read timed out.")
            headers = {"Content-Type": "application/json", **fault.headers}
            token = dict(headers_in or {}).get("X-App-Token", "")
            body = fault.body.replace(b"{token}", token.encode())
            return _response(fault.status, body, headers, method)

    return FaultyPool


def _prepared(method, url, body, headers) -> requests.PreparedRequest:
    prepared = requests.PreparedRequest()
    prepared.method = method
    prepared.url = SANDBOX_BASE_URL + url
    prepared.headers = CaseInsensitiveDict(headers or {})
    prepared.body = body
    return prepared


def _response(status, content, headers, method) -> HTTPResponse:
    return HTTPResponse(
        body=io.BytesIO(content),
        headers=dict(headers),
        status=status,
        preload_content=False,
        decode_content=False,
        request_method=method,
    )


class FaultyAdapter(HTTPAdapter):
    def __init__(self, plan: FaultPlan) -> None:
        from sandbox.transport import SandboxAdapter

        self._pool_cls = _pool_class(plan, SandboxAdapter())
        super().__init__(max_retries=default_retry())

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": self._pool_cls}
        self.poolmanager.key_fn_by_scheme = {"http": self.poolmanager.key_fn_by_scheme["http"]}


def faulty_client(plan: FaultPlan) -> VoucherifyClient:
    return VoucherifyClient(
        SANDBOX_BASE_URL,
        settings.SANDBOX_APP_ID,
        settings.SANDBOX_APP_TOKEN,
        timeout=settings.VOUCHERIFY_TIMEOUT,
        adapter=FaultyAdapter(plan),
        backend="sandbox",
    )


def install(monkeypatch) -> FaultPlan:
    """Every `get_client()` caller gets the faulty client; Retry's sleeps are recorded."""
    from urllib3.util.retry import Retry

    plan = FaultPlan()
    monkeypatch.setattr("customers.voucherify.override", faulty_client(plan))
    monkeypatch.setattr(Retry, "sleep", lambda self, response=None: plan.sleeps.append(1))
    return plan
