"""SandboxAdapter: requests answered in-process by the sandbox's views."""

from __future__ import annotations

import pytest
import requests

from sandbox import jobs
from sandbox.transport import SandboxAdapter, build_environ
from tests.contract import assert_matches_contract
from tests.sandbox.conftest import BASE, auth_headers

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_adapter_round_trip_returns_a_requests_response(session):
    response = session.post(BASE + "/v1/customers", json={"source_id": "t-1"})

    assert isinstance(response, requests.Response)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.url == BASE + "/v1/customers"
    assert response.request.method == "POST"
    assert response.encoding == "utf-8"
    assert response.json()["source_id"] == "t-1"
    assert_matches_contract(response.request, response)


def test_adapter_keeps_the_raw_path_so_encoded_slashes_are_exact(session):
    session.post(BASE + "/v1/customers", json={"source_id": "a/activity"})
    session.post(BASE + "/v1/customers", json={"source_id": "a"})

    whole = session.get(BASE + "/v1/customers/a%2Factivity")
    sub = session.get(BASE + "/v1/customers/a/activity")

    assert whole.json()["source_id"] == "a/activity"
    assert sub.json()["data"][0]["data"]["data"]["customer"]["source_id"] == "a"


def test_adapter_finds_a_customer_whose_source_id_holds_a_newline(session):
    created = session.post(BASE + "/v1/customers", json={"source_id": "crm\n42"}).json()

    response = session.get(BASE + "/v1/customers/crm%0A42")

    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


@pytest.mark.parametrize("path", ["/v1/customers/nobody%0A", "/v1/vouchers%0A", "/%0A"])
def test_adapter_answers_json_404_for_paths_with_a_newline(session, path):
    response = session.get(BASE + path)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["key"] == "not_found"


def test_adapter_answers_405_to_a_put_on_the_bulk_endpoint(session):
    session.post(BASE + "/v1/customers", json={"source_id": "bulk/async"})

    response = session.put(BASE + "/v1/customers/bulk/async", json={"name": "x"})
    customer = session.get(BASE + "/v1/customers/bulk%2Fasync")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert customer.json()["source_id"] == "bulk/async"


def test_adapter_passes_query_strings_with_brackets(session):
    session.post(BASE + "/v1/customers", json={"source_id": "q-1"})

    response = session.get(
        BASE + "/v1/customers", params={"created_at[after]": "2000-01-01T00:00:00Z", "limit": 1}
    )

    assert response.json()["total"] == 1
    assert_matches_contract(response.request, response)


def test_adapter_without_keys_returns_401(session):
    del session.headers["X-App-Token"]

    response = session.get(BASE + "/v1/customers")

    assert response.status_code == 401
    assert response.json()["key"] == "unauthorized"


def test_adapter_joins_a_generator_body_for_multipart(session):
    boundary = "b0undary"
    parts = [
        f"--{boundary}\r\n".encode(),
        b'Content-Disposition: form-data; name="file"; filename="c.csv"\r\n',
        b"Content-Type: text/csv\r\n\r\n",
        b"Source_id,Name\ngen-1,From a generator\n",
        f"\r\n--{boundary}--\r\n".encode(),
    ]

    response = session.post(
        BASE + "/v1/customers/importCSV",
        data=(part for part in parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    jobs.run_pending_jobs()

    assert response.status_code == 202
    assert session.get(BASE + "/v1/customers/gen-1").json()["name"] == "From a generator"


def test_adapter_returns_empty_204_for_delete(session):
    session.post(BASE + "/v1/customers", json={"source_id": "del-1"})

    response = session.delete(BASE + "/v1/customers/del-1")

    assert response.status_code == 204
    assert response.content == b""


def test_adapter_strips_a_mount_prefix():
    session = requests.Session()
    session.mount("http://127.0.0.1:8000/sandbox/", SandboxAdapter(prefix="/sandbox"))
    session.headers.update(auth_headers())

    response = session.get("http://127.0.0.1:8000/sandbox/v1/consents")

    assert response.status_code == 200
    assert response.json()["consents"]["total"] == 0


def test_build_environ_maps_method_path_headers_and_body():
    request = requests.Request(
        "PUT",
        BASE + "/v1/customers/x%2Fy?z=1",
        headers={"X-App-Id": "id", "Content-Type": "application/json"},
        data=b'{"a": 1}',
    ).prepare()

    environ = build_environ(request)

    assert environ["REQUEST_METHOD"] == "PUT"
    assert environ["PATH_INFO"] == "/v1/customers/x/y"
    assert environ["RAW_URI"] == "/v1/customers/x%2Fy?z=1"
    assert environ["QUERY_STRING"] == "z=1"
    assert environ["HTTP_X_APP_ID"] == "id"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "8"
    assert environ["wsgi.input"].read() == b'{"a": 1}'
