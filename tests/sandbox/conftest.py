"""Fixtures for the sandbox: its API over real HTTP (live_server), checked against the contract."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest
import requests
from django.conf import settings
from openapi_schema_validator import OAS30Validator

from customers.voucherify import SANDBOX_BASE_URL
from sandbox.transport import SandboxAdapter
from tests.contract import (
    assert_matches_contract,
    assert_response_matches_contract,
    contract_document,
)

CONTRACT_BASE = "http://testserver/sandbox"  # a server the contract loader already knows


@functools.cache
def _error_schema_validator():
    return OAS30Validator(contract_document()["components"]["schemas"]["Error"])


def assert_error(response: requests.Response, code: int, key: str | None = None) -> dict:
    """The standard error body (API_NOTES §2), also for statuses the contract leaves out."""
    assert response.status_code == code, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    _error_schema_validator().validate(body)
    assert body["code"] == code
    assert body.get("key") == key
    assert body["request_id"].startswith("v-")
    assert len(body["request_id"]) == 20
    int(body["request_id"][2:], 16)
    return body


@dataclass
class SandboxHttp:
    """A session on the live server's /sandbox with the app's keys; `call` checks the contract."""

    base: str
    session: requests.Session

    def url(self, path: str) -> str:
        return self.base + path

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.url(path), timeout=10, **kwargs)

    def call(self, method: str, path: str, *, valid_request=True, **kwargs) -> requests.Response:
        """A request whose response (and request, unless it is meant to be invalid) must
        match the contract."""
        response = self.request(method, path, **kwargs)
        check = response.request.copy()
        check.url = check.url.replace(self.base, CONTRACT_BASE, 1)
        if valid_request:
            assert_matches_contract(check, response)
        else:
            assert_response_matches_contract(check, response)
        return response


def auth_headers() -> dict[str, str]:
    return {"X-App-Id": settings.SANDBOX_APP_ID, "X-App-Token": settings.SANDBOX_APP_TOKEN}


BASE = SANDBOX_BASE_URL


@pytest.fixture
def session():
    """A requests session on the sandbox in-process, through `SandboxAdapter`."""
    session = requests.Session()
    session.mount(BASE + "/", SandboxAdapter())
    session.headers.update(auth_headers())
    yield session
    session.close()


@pytest.fixture
def sandbox_http(live_server) -> SandboxHttp:
    session = requests.Session()
    session.headers.update(auth_headers())
    yield SandboxHttp(live_server.url + "/sandbox", session)
    session.close()


@pytest.fixture
def make_customer(sandbox_http):
    def make(**fields) -> dict:
        response = sandbox_http.call("POST", "/v1/customers", json=fields)
        assert response.status_code == 200
        return response.json()

    return make
