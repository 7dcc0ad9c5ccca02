"""The transport: session headers, timeouts, adapters, real urllib3 retries, get_client().

`responses` replaces the adapter's send(), so urllib3's Retry never runs under it: retries are
tested against a tiny HTTP server on 127.0.0.1 instead.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.test import override_settings
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.util.retry import Retry

import customers.voucherify
from customers.voucherify import ConnectionFailed, ServerError, get_client
from customers.voucherify.client import VoucherifyClient, default_retry
from tests.customers.voucherify.conftest import APP_ID, APP_TOKEN, BASE_URL

LIST_BODY = {"object": "list", "data_ref": "customers", "customers": [], "total": 0}


class RecordingAdapter(BaseAdapter):
    """An in-process adapter that answers 200 with an empty customer list and records calls."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, dict]] = []

    def send(self, request, **kwargs):
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(LIST_BODY).encode()
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


class ScriptedServer:
    """A local HTTP server that answers from a script of (status, headers, body) and records
    every (method, path) it receives."""

    def __init__(self, script):
        self.script = list(script)
        self.received: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.received.append((self.command, self.path))
                status, headers, body = server.script.pop(0)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _local_client(url: str) -> VoucherifyClient:
    return VoucherifyClient(url, APP_ID, APP_TOKEN, timeout=5, retries=_no_wait_retry())


def _no_wait_retry() -> Retry:
    """The production policy with the waits taken out (no sleeps in tests)."""
    return default_retry().new(backoff_factor=0, backoff_jitter=0)


UNAVAILABLE = (503, {}, b'{"code": 503, "message": "Service Unavailable"}')
OK_LIST = (200, {}, json.dumps(LIST_BODY).encode())


def test_session_headers_carry_auth_channel_and_accept(client):
    headers = client.session.headers

    assert headers["X-App-Id"] == APP_ID
    assert headers["X-App-Token"] == APP_TOKEN
    assert headers["X-Voucherify-Channel"] == "Customers-Dashboard"
    assert headers["Accept"] == "application/json"


def test_repr_hides_credentials(client):
    assert APP_TOKEN not in repr(client)
    assert APP_ID not in repr(client)


def test_default_adapter_retries_idempotent_methods_only(client):
    adapter = client.session.get_adapter(f"{BASE_URL}/v1/customers")

    retry = adapter.max_retries
    assert isinstance(adapter, HTTPAdapter)
    assert set(retry.allowed_methods) == {"GET", "PUT", "DELETE", "HEAD"}
    assert set(retry.status_forcelist) == {429, 502, 503, 504}
    assert retry.respect_retry_after_header is True
    assert 0 < retry.retry_after_max <= 10
    assert retry.backoff_factor > 0
    assert retry.backoff_jitter > 0
    assert retry.raise_on_status is False
    assert retry.connect >= 1


@pytest.mark.parametrize(("timeout", "expected"), [(20.0, (3.05, 20.0)), (2.0, (2.0, 2.0))])
def test_timeout_reaches_adapter_send(timeout, expected):
    adapter = RecordingAdapter()
    client = VoucherifyClient(BASE_URL, APP_ID, APP_TOKEN, timeout=timeout, adapter=adapter)

    client.list_customers(limit=1)
    client.delete_customer("cust_1")

    assert [kwargs["timeout"] for _, kwargs in adapter.sent] == [expected, expected]


def test_each_call_sends_the_session_headers_its_own_and_no_cookie():
    adapter = RecordingAdapter()
    client = VoucherifyClient(BASE_URL, APP_ID, APP_TOKEN, timeout=5, adapter=adapter)
    client.session.cookies.set("AWSALB", "sticky")  # as a load balancer's Set-Cookie leaves it

    client.list_customers(limit=1, email="a@example.com")
    client._request("POST", "/v1/customers", data=b"x", headers={"Content-Type": "text/csv"})

    (listed, kwargs), (posted, _) = adapter.sent
    assert listed.method == "GET"
    assert listed.url == f"{BASE_URL}/v1/customers?limit=1&email=a%40example.com"
    assert listed.headers["X-App-Token"] == APP_TOKEN and "Cookie" not in listed.headers
    assert posted.headers["Content-Type"] == "text/csv"
    assert posted.headers["X-App-Id"] == APP_ID and posted.body == b"x"
    assert kwargs["stream"] is False and kwargs["proxies"] == client.session.proxies
    assert client.session.headers.get("Content-Type") is None  # the call's header stays its own


def test_given_adapter_is_mounted_for_base_url():
    adapter = RecordingAdapter()
    client = VoucherifyClient("http://sandbox.local/", "id", "token", timeout=5, adapter=adapter)

    result = client.list_customers(limit=1)

    assert client.session.get_adapter("http://sandbox.local/v1/customers") is adapter
    ((request, _),) = adapter.sent
    assert request.url == "http://sandbox.local/v1/customers?limit=1"
    assert result.total == 0


def test_retry_get_503_then_200_through_urllib3():
    with ScriptedServer([UNAVAILABLE, OK_LIST]) as server:
        client = _local_client(server.url)

        result = client.list_customers(limit=1)

    assert result.total == 0
    assert server.received == [("GET", "/v1/customers?limit=1")] * 2


def test_retry_get_429_honours_retry_after_then_200():
    rate_limited = (429, {"Retry-After": "0"}, b'{"code": 429, "message": "Too many"}')
    with ScriptedServer([rate_limited, OK_LIST]) as server:
        client = _local_client(server.url)

        client.list_customers()

    assert len(server.received) == 2


def test_retry_get_exhausted_returns_last_answer_as_server_error():
    with ScriptedServer([UNAVAILABLE] * 3) as server:
        client = _local_client(server.url)

        with pytest.raises(ServerError) as caught:
            client.get_customer("cust_1")

    assert caught.value.status == 503
    assert len(server.received) == 3


def test_retry_post_503_is_not_retried():
    with ScriptedServer([UNAVAILABLE]) as server:
        client = _local_client(server.url)

        with pytest.raises(ServerError):
            client.create_customer({"source_id": "once"})

    assert server.received == [("POST", "/v1/customers")]


def test_dot_ids_reach_the_server_percent_encoded():
    customer = json.dumps({"id": "cust_1", "object": "customer"}).encode()
    with ScriptedServer([(200, {}, customer), (200, {}, customer)]) as server:
        client = _local_client(server.url)

        client.get_customer("..")
        client.update_customer(".", {"name": "Dot"})

    assert server.received == [("GET", "/v1/customers/%2E%2E"), ("PUT", "/v1/customers/%2E")]


def test_refused_connection_connection_failed():
    with socket.socket() as probe:  # a port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _local_client(f"http://127.0.0.1:{port}")

    with pytest.raises(ConnectionFailed) as caught:
        client.list_customers()

    assert isinstance(caught.value.__cause__, requests.ConnectionError)


@pytest.fixture
def fresh_client_cache():
    get_client.cache_clear()
    yield
    get_client.cache_clear()


@override_settings(
    VOUCHERIFY_USE_SANDBOX=False,
    VOUCHERIFY_API_URL="https://api.example.test",
    VOUCHERIFY_APP_ID="real-id",
    VOUCHERIFY_APP_TOKEN="real-token",
    VOUCHERIFY_TIMEOUT=7.0,
)
def test_get_client_with_credentials_talks_to_voucherify(fresh_client_cache):
    client = get_client()

    assert client.backend == "voucherify"
    assert client.base_url == "https://api.example.test"
    assert client.timeout == (3.05, 7.0)
    assert client.session.headers["X-App-Id"] == "real-id"
    assert client.session.headers["X-App-Token"] == "real-token"
    assert get_client() is client


@override_settings(
    VOUCHERIFY_USE_SANDBOX=True, SANDBOX_APP_ID="sb-id", SANDBOX_APP_TOKEN="sb-token"
)
def test_get_client_without_credentials_uses_sandbox_adapter(fresh_client_cache, monkeypatch):
    monkeypatch.setattr(
        customers.voucherify,
        "SANDBOX_ADAPTER",
        "tests.customers.voucherify.test_transport.RecordingAdapter",
    )

    client = get_client()

    assert client.backend == "sandbox"
    assert client.base_url == "http://sandbox.local"
    assert client.session.headers["X-App-Id"] == "sb-id"
    assert client.session.headers["X-App-Token"] == "sb-token"
    adapter = client.session.get_adapter("http://sandbox.local/v1/customers")
    assert isinstance(adapter, RecordingAdapter)


def test_get_client_cache_clear_builds_a_new_client(fresh_client_cache, monkeypatch):
    monkeypatch.setattr(
        customers.voucherify,
        "SANDBOX_ADAPTER",
        "tests.customers.voucherify.test_transport.RecordingAdapter",
    )
    first = get_client()

    get_client.cache_clear()

    assert get_client() is not first


def test_calls_go_through_the_proxy_the_environment_names(monkeypatch):
    """The proxy settings are read once, when the client is made, not on every call."""
    with ScriptedServer([OK_LIST, OK_LIST]) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = _local_client("http://api.voucherify.test")
        monkeypatch.delenv("HTTP_PROXY")  # later changes to the environment do not count

        client.list_customers(limit=1)

    assert proxy.received == [("GET", "http://api.voucherify.test/v1/customers?limit=1")]


def test_no_proxy_sends_calls_to_the_api_directly(monkeypatch):
    with ScriptedServer([OK_LIST]) as api:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        client = _local_client(api.url)

        client.list_customers(limit=1)

    assert api.received == [("GET", "/v1/customers?limit=1")]


def test_the_ca_bundle_the_environment_names_is_used(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    adapter = RecordingAdapter()
    client = VoucherifyClient(BASE_URL, APP_ID, APP_TOKEN, timeout=5, adapter=adapter)

    client.list_customers(limit=1)

    assert adapter.sent[0][1]["verify"] == str(bundle)
