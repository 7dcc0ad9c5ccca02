from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from customers.voucherify.client import VoucherifyClient
from tests.contract import assert_matches_contract, load_contract

BASE_URL = "https://api.example.test"
APP_ID = "test-app-id"
APP_TOKEN = "test-app-token-secret"
ODD_ID = "a/b c"
ODD_ID_QUOTED = "a%2Fb%20c"


@pytest.fixture(scope="session")
def contract():
    """The OpenAPI contract, parsed once for the whole session."""
    return load_contract()


@pytest.fixture
def client():
    client = VoucherifyClient(BASE_URL, APP_ID, APP_TOKEN, timeout=5.0)
    yield client
    client.close()


@pytest.fixture
def api():
    """`responses` stubs; every stub must be called."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sent(api, contract):
    """`sent()` -> the one request made, checked for auth headers and against the contract."""

    def check(index: int = -1, *, validate: bool = True):
        call = api.calls[index]
        request = call.request
        assert request.headers["X-App-Id"] == APP_ID
        assert request.headers["X-App-Token"] == APP_TOKEN
        assert request.headers["X-Voucherify-Channel"] == "Customers-Dashboard"
        assert request.headers["Accept"] == "application/json"
        if validate:
            assert_matches_contract(request, call.response)
        return request

    return check


def path_of(request) -> str:
    return urlsplit(request.url).path


def query_of(request) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def json_of(request):
    return json.loads(request.body)
