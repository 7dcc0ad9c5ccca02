"""The Voucherify OpenAPI contract, for tests: validate requests and responses, read examples.

    from tests.contract import assert_matches_contract, response_examples

    assert_matches_contract(call.request, call.response)   # a `responses` call, or any
                                                           # requests PreparedRequest/Response

Requests sent to any host or mount prefix (a live server's `/sandbox/v1/...`) are checked as if
sent to `http://sandbox.local`. The spec is parsed once per process (`load_contract` is cached);
its `servers` list only the Voucherify hosts, so the test base URLs are appended before loading,
and a few errata (`_apply_errata`) are applied so that the contract accepts its own examples.
"""

from __future__ import annotations

import copy
import functools
import json
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "voucherify" / "openapi-customers.json"
TEST_SERVERS = ("http://sandbox.local", "https://api.example.test")


@functools.cache
def contract_document() -> dict[str, Any]:
    """The raw spec, as a dict (do not mutate: it is shared)."""
    return json.loads(SPEC_PATH.read_text())


def _apply_errata(spec: dict[str, Any]) -> None:
    """Fix the places where the contract rejects its own examples (or any real payload).

    - `AsyncAction.result` and `CustomerActivityData` are `oneOf`s of shapes that overlap
      (`{message, done_count}` or `{customer}` match many of them), so no real payload can match
      exactly one: read them as `anyOf`.
    - The legacy consents list sends `updated_at: null` (its own example) but the schema does
      not say `nullable`.
    - The address's fields are strings, but the API stores a null sent for one as a value and
      answers it back (API_NOTES quirk 2; the SDKs' request types allow null there).
    - The activity types leave out the legacy consents' `customer.consents.given` and
      `customer.consents.revoked` (API_NOTES 5.12), which the consents endpoints record.
    """
    schemas = spec["components"]["schemas"]
    result = schemas["AsyncAction"]["allOf"][1]["properties"]["result"]
    result["anyOf"] = result.pop("oneOf")
    activity_data = schemas["CustomerActivityData"]
    activity_data["anyOf"] = activity_data.pop("oneOf")
    activity_types = schemas["CustomerActivity"]["properties"]["type"]["enum"]
    activity_types += ["customer.consents.given", "customer.consents.revoked"]
    for field in schemas["CustomerBase"]["properties"]["address"]["properties"].values():
        field["nullable"] = True
    listing = schemas["18_res_list_consents_GET"]["properties"]
    for name in ("groups", "consents"):
        item = listing[name]["properties"]["data"]["items"]["properties"]
        item["updated_at"]["nullable"] = True


def corrected_contract() -> dict[str, Any]:
    """A fresh copy of the spec with the errata applied (for tools that load it themselves)."""
    spec = copy.deepcopy(contract_document())
    _apply_errata(spec)
    return spec


@functools.cache
def load_contract() -> OpenAPI:
    spec = corrected_contract()
    spec["servers"] = [*spec.get("servers", []), *({"url": url} for url in TEST_SERVERS)]
    return OpenAPI.from_dict(spec)


def _on_a_known_server(request: requests.PreparedRequest) -> requests.PreparedRequest:
    """The same request addressed to `http://sandbox.local`, whatever host, port or mount prefix
    (`/sandbox`) it was sent to: a live server's port is not known in advance."""
    parts = urlsplit(request.url)
    start = parts.path.find("/v1/")
    path = parts.path[start:] if start >= 0 else parts.path
    moved = request.copy()
    moved.url = urlunsplit(("http", "sandbox.local", path, parts.query, ""))
    return moved


def assert_request_matches_contract(request: requests.PreparedRequest) -> None:
    """Path, method, query, headers (auth included) and body must be what the contract allows."""
    request = _on_a_known_server(request)
    with warnings.catch_warnings():
        # The X-Voucherify-OAuth alternative is a scheme openapi-core cannot check; the
        # X-App-Id/X-App-Token pair is asserted by the tests themselves.
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        load_contract().validate_request(RequestsOpenAPIRequest(request))


def assert_response_matches_contract(
    request: requests.PreparedRequest, response: requests.Response
) -> None:
    """Status, content type and body must be what the contract documents for this operation."""
    load_contract().validate_response(
        RequestsOpenAPIRequest(_on_a_known_server(request)), RequestsOpenAPIResponse(response)
    )


def assert_matches_contract(request: requests.PreparedRequest, response: requests.Response) -> None:
    assert_request_matches_contract(request)
    assert_response_matches_contract(request, response)


def _content(path: str, method: str, status: str | None = None) -> dict[str, Any]:
    operation = contract_document()["paths"][path][method.lower()]
    holder = operation["requestBody"] if status is None else operation["responses"][status]
    return holder.get("content", {})


def _examples(media: dict[str, Any]) -> dict[str, Any]:
    found = {name: ex["value"] for name, ex in media.get("examples", {}).items() if "value" in ex}
    if "example" in media:
        found.setdefault("example", media["example"])
    return found


def response_examples(path: str, method: str, status: int | str = 200) -> dict[str, Any]:
    """`{name: value}` of the JSON examples the contract gives for one response."""
    return _examples(_content(path, method, str(status)).get("application/json", {}))


def request_examples(path: str, method: str) -> dict[str, Any]:
    """`{name: value}` of the JSON examples the contract gives for one request body."""
    return _examples(_content(path, method).get("application/json", {}))


def operations() -> set[tuple[str, str]]:
    """Every (METHOD, path template) of the contract."""
    return {
        (method.upper(), path)
        for path, item in contract_document()["paths"].items()
        for method in item
        if method != "parameters"
    }
