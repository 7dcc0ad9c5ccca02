"""The customers endpoints over real HTTP, each answer checked against the contract."""

from __future__ import annotations

import pytest
import requests

from sandbox import views
from sandbox.models import Activity, Customer
from tests.sandbox.conftest import assert_error

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


def test_create_customer_with_source_id_only_omits_unset_fields(sandbox_http):
    response = sandbox_http.call("POST", "/v1/customers", json={"source_id": "abc"})

    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("cust_")
    assert len(body["id"]) == 29
    assert body["address"] is None
    for absent in ("metadata", "updated_at", "email", "phone", "name", "birthdate"):
        assert absent not in body
    assert "last_order_date" not in body["summary"]["orders"]
    assert body["summary"]["orders"]["total_amount"] == 0
    assert body["created_at"].endswith("Z")
    assert len(body["created_at"]) == len("2022-08-30T06:32:07.380Z")
    assert body["object"] == "customer"


def test_create_customer_with_known_source_id_upserts_and_returns_200(sandbox_http, make_customer):
    first = make_customer(source_id="s-1", name="Ann", email="ann@example.com")

    response = sandbox_http.call("POST", "/v1/customers", json={"source_id": "s-1", "name": "Anna"})

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == first["id"]
    assert body["name"] == "Anna"
    assert body["email"] == "ann@example.com"
    assert "updated_at" in body
    assert Customer.objects.using("sandbox").count() == 1


def test_create_customer_with_id_and_other_source_id_updates_the_id(sandbox_http, make_customer):
    first = make_customer(source_id="s-1")
    make_customer(source_id="s-2")

    body = sandbox_http.call(
        "POST", "/v1/customers", json={"id": first["id"], "source_id": "s-2", "name": "By id"}
    ).json()

    assert body["id"] == first["id"]
    assert body["source_id"] == "s-1"
    assert body["name"] == "By id"


def test_create_customer_with_bad_email_returns_invalid_payload(sandbox_http):
    response = sandbox_http.request("POST", "/v1/customers", json={"email": "nope"})

    body = assert_error(response, 400, "invalid_payload")
    assert ".email" in body["details"]


def test_get_customer_by_id_or_source_id_returns_it(sandbox_http, make_customer):
    made = make_customer(source_id="crm-1", name="Ann", metadata={"vip": True, "visits": 3})

    by_id = sandbox_http.call("GET", f"/v1/customers/{made['id']}").json()
    by_source = sandbox_http.call("GET", "/v1/customers/crm-1").json()

    assert by_id == by_source
    assert by_id["metadata"] == {"vip": True, "visits": 3}


def test_get_customer_with_percent_encoded_slash_finds_it(sandbox_http, make_customer):
    made = make_customer(source_id="shop/eu/42?x=1 y")

    response = sandbox_http.call("GET", "/v1/customers/shop%2Feu%2F42%3Fx%3D1%20y")

    assert response.status_code == 200
    assert response.json()["id"] == made["id"]


def test_sub_resource_of_percent_encoded_id_is_routed_to_it(sandbox_http, make_customer):
    # runserver hands Django only the decoded path: `a%2Factivity` reads as customer `a` +
    # /activity unless no customer `a` exists (the in-process adapter keeps the raw path).
    make_customer(source_id="a/activity")

    whole = sandbox_http.call("GET", "/v1/customers/a%2Factivity")
    activity = sandbox_http.call("GET", "/v1/customers/a%2Factivity/activity")

    assert whole.json()["source_id"] == "a/activity"
    assert activity.json()["data"][0]["data"]["data"]["customer"]["source_id"] == "a/activity"


def test_get_customer_unknown_returns_404_not_found(sandbox_http):
    response = sandbox_http.call("GET", "/v1/customers/cust_missing")

    body = assert_error(response, 404, "not_found")
    assert body["details"] == "Cannot find customer with id cust_missing"
    assert body["resource_id"] == "cust_missing"
    assert body["resource_type"] == "customer"


def test_update_customer_changes_sent_fields_only(sandbox_http, make_customer):
    made = make_customer(source_id="u-1", name="Ann", phone="+48 111", metadata={"a": "1"})

    response = sandbox_http.call(
        "PUT",
        "/v1/customers/u-1",
        json={"email": "ann@example.com", "address": {"city": "Berlin"}, "metadata": {"b": 2}},
    )

    body = response.json()
    assert response.status_code == 200
    assert body["id"] == made["id"]
    assert body["name"] == "Ann"
    assert body["phone"] == "+48 111"
    assert body["email"] == "ann@example.com"
    assert body["address"] == {"city": "Berlin"}
    assert body["metadata"] == {"b": 2}
    assert "updated_at" in body


def test_update_customer_unknown_returns_404(sandbox_http):
    response = sandbox_http.call("PUT", "/v1/customers/nobody", json={"name": "x"})

    assert_error(response, 404, "not_found")


def test_delete_customer_returns_204_then_404_and_frees_source_id(sandbox_http, make_customer):
    made = make_customer(source_id="d-1")

    deleted = sandbox_http.call("DELETE", "/v1/customers/d-1")
    again = sandbox_http.call("GET", f"/v1/customers/{made['id']}")
    recreated = make_customer(source_id="d-1")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(again, 404, "not_found")
    assert recreated["id"] != made["id"]
    renamed = Customer.objects.using("sandbox").get(id=made["id"]).source_id
    assert renamed.startswith("d-1_deleted20")
    assert renamed.endswith("Z")


def test_permanent_deletion_without_body_returns_receipt_and_erases(sandbox_http, make_customer):
    made = make_customer(source_id="p-1", name="Erase Me")
    sandbox_http.call("PUT", "/v1/customers/p-1", json={"name": "Erased"})

    response = sandbox_http.call("POST", "/v1/customers/p-1/permanent-deletion")

    assert response.request.body is None
    body = response.json()
    assert response.status_code == 200
    assert body["id"].startswith("del_")
    assert len(body["id"]) == 28
    assert body["object"] == "pernament_deletion"
    assert body["status"] == "DONE"
    assert body["related_object_id"] == made["id"]
    assert body["data_json"]["customer"] == 1
    assert body["data_json"]["customer_events"] == 2
    assert not Customer.objects.using("sandbox").filter(id=made["id"]).exists()
    assert not Activity.objects.using("sandbox").filter(customer_id=made["id"]).exists()
    assert_error(sandbox_http.call("GET", f"/v1/customers/{made['id']}"), 404, "not_found")


def test_permanent_deletion_of_soft_deleted_customer_by_id_erases_it(sandbox_http, make_customer):
    made = make_customer(source_id="p-2")
    sandbox_http.call("DELETE", "/v1/customers/p-2")

    response = sandbox_http.call("POST", f"/v1/customers/{made['id']}/permanent-deletion", json={})

    assert response.status_code == 200
    assert not Customer.objects.using("sandbox").filter(id=made["id"]).exists()


def test_permanent_deletion_unknown_returns_404(sandbox_http):
    assert_error(
        sandbox_http.call("POST", "/v1/customers/ghost/permanent-deletion"), 404, "not_found"
    )


def test_list_customers_default_is_newest_first_with_total(sandbox_http, make_customer):
    made = [make_customer(source_id=f"l-{n}") for n in range(3)]

    body = sandbox_http.call("GET", "/v1/customers").json()

    assert body["object"] == "list"
    assert body["data_ref"] == "customers"
    assert [c["id"] for c in body["customers"]] == [c["id"] for c in reversed(made)]
    assert body["total"] == 3
    assert body["has_more"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"email": "b@example.com"}, ["f-b"]),
        ({"name": "Cleo"}, ["f-c"]),
        ({"city": "Paris"}, ["f-c", "f-a"]),
        ({"order": "source_id"}, ["f-a", "f-b", "f-c"]),
        ({"order": "-source_id"}, ["f-c", "f-b", "f-a"]),
        ({"order": "created_at"}, ["f-a", "f-b", "f-c"]),
        ({"order": "-created_at"}, ["f-c", "f-b", "f-a"]),
        ({"order": "-updated_at"}, ["f-b", "f-c", "f-a"]),
        ({"order": "updated_at"}, ["f-a", "f-c", "f-b"]),
    ],
)
def test_list_customers_filters_and_orders(sandbox_http, make_customer, query, expected):
    make_customer(source_id="f-a", name="Ann", email="a@example.com", address={"city": "Paris"})
    make_customer(source_id="f-b", name="Bob", email="b@example.com", address={"city": "Rome"})
    make_customer(source_id="f-c", name="Cleo", email="c@example.com", address={"city": "Paris"})
    sandbox_http.call("PUT", "/v1/customers/f-b", json={"description": "first update"})

    body = sandbox_http.call("GET", "/v1/customers", params=query).json()

    assert [c["source_id"] for c in body["customers"]] == expected
    assert body["total"] == len(expected)


def test_list_customers_by_created_and_updated_range(sandbox_http, make_customer):
    first = make_customer(source_id="r-1")
    second = make_customer(source_id="r-2")
    sandbox_http.call("PUT", "/v1/customers/r-2", json={"name": "Updated"})

    created_after = sandbox_http.call(
        "GET", "/v1/customers", params={"created_at[after]": first["created_at"]}
    ).json()
    created_before = sandbox_http.call(
        "GET", "/v1/customers", params={"created_at[before]": second["created_at"]}
    ).json()
    updated = sandbox_http.call(
        "GET", "/v1/customers", params={"updated_at[after]": "2000-01-01T00:00:00Z"}
    ).json()

    assert [c["source_id"] for c in created_after["customers"]] == ["r-2"]
    assert [c["source_id"] for c in created_before["customers"]] == ["r-1"]
    assert [c["source_id"] for c in updated["customers"]] == ["r-2"]


def test_list_customers_starting_after_walks_both_directions(sandbox_http, make_customer):
    made = [make_customer(source_id=f"c-{n}") for n in range(5)]
    middle = made[2]["created_at"]

    backwards = sandbox_http.call(
        "GET", "/v1/customers", params={"starting_after": middle, "limit": 1}
    ).json()
    forwards = sandbox_http.call(
        "GET", "/v1/customers", params={"starting_after": middle, "order": "created_at"}
    ).json()

    assert [c["source_id"] for c in backwards["customers"]] == ["c-1"]
    assert backwards["has_more"] is True
    assert [c["source_id"] for c in forwards["customers"]] == ["c-3", "c-4"]
    assert forwards["has_more"] is False


def test_list_customers_pages_with_limit(sandbox_http, make_customer):
    for n in range(5):
        make_customer(source_id=f"p-{n}")

    second = sandbox_http.call("GET", "/v1/customers", params={"limit": 2, "page": 2}).json()
    last = sandbox_http.call("GET", "/v1/customers", params={"limit": 2, "page": 3}).json()

    assert [c["source_id"] for c in second["customers"]] == ["p-2", "p-1"]
    assert second["has_more"] is True
    assert [c["source_id"] for c in last["customers"]] == ["p-0"]
    assert last["has_more"] is False


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "101"},
        {"limit": "0"},
        {"limit": "ten"},
        {"page": "100"},
        {"order": "name"},
        {"created_at[before]": "yesterday"},
        {"starting_after": "not-a-date"},
    ],
)
def test_list_customers_invalid_query_returns_400(sandbox_http, query):
    response = sandbox_http.request("GET", "/v1/customers", params=query)

    assert_error(response, 400, "invalid_query_params")


def test_request_without_keys_returns_401(live_server):
    response = requests.get(live_server.url + "/sandbox/v1/customers", timeout=5)

    assert_error(response, 401, "unauthorized")


def test_request_with_wrong_token_returns_401(live_server, settings):
    headers = {"X-App-Id": settings.SANDBOX_APP_ID, "X-App-Token": "wrong"}

    response = requests.get(live_server.url + "/sandbox/v1/customers", headers=headers, timeout=5)

    assert_error(response, 401, "unauthorized")


def test_unsupported_method_returns_405_in_api_shape(sandbox_http):
    response = sandbox_http.request("PATCH", "/v1/customers/anyone")

    body = assert_error(response, 405)
    assert body["message"] == "HTTP Method Not Allowed"
    assert (
        body["details"]
        == "PATCH is not supported by this endpoint. Did you mean GET, PUT or DELETE?"
    )


def test_unknown_route_returns_json_404(sandbox_http):
    response = sandbox_http.request("GET", "/v1/vouchers")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "path", ["/v1/vouchers%0A", "/v1/customers%0A", "/%0A", "/v1/consents%0D%0A"]
)
def test_unknown_route_with_a_newline_returns_json_404(sandbox_http, path):
    response = sandbox_http.request("GET", path)

    body = assert_error(response, 404, "not_found")
    assert "no such route" in body["details"]


@pytest.mark.parametrize("path", ["/v1/customers/{}", "/v1/customers/{}/activity"])
def test_customer_id_with_a_newline_returns_the_customers_json_404(sandbox_http, path):
    response = sandbox_http.request("GET", path.format("ann%0Alee"))

    body = assert_error(response, 404, "not_found")
    assert body["resource_type"] == "customer"
    assert body["resource_id"] == "ann\nlee"


def test_customer_whose_source_id_holds_a_newline_is_found_by_it(sandbox_http, make_customer):
    created = make_customer(source_id="crm\r\n42", name="Ann")

    response = sandbox_http.call("GET", "/v1/customers/crm%0D%0A42")

    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


def test_segment_id_with_a_newline_returns_the_segments_json_404(sandbox_http):
    response = sandbox_http.request("GET", "/v1/segments/seg%0A1")

    body = assert_error(response, 404, "not_found")
    assert body["resource_type"] == "segment"


def test_trailing_slash_is_not_redirected(sandbox_http):
    response = sandbox_http.request("POST", "/v1/customers/", json={}, allow_redirects=False)

    assert response.status_code == 404


def test_rate_limit_returns_429_without_key_and_retry_after(sandbox_http, settings):
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 1
    sandbox_http.request("GET", "/v1/customers")

    response = sandbox_http.request("GET", "/v1/customers")

    assert response.status_code == 429
    assert response.json() == {"code": 429, "message": "Too many requests hit the API too quickly."}
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-Rate-Limit-Remaining"] == "0"


def test_rate_limit_counts_failed_sign_ins_per_client_ip(sandbox_http, settings, monkeypatch):
    monkeypatch.setattr(views, "_rate", views._RateWindow())
    settings.SANDBOX_RATE_LIMIT_PER_MINUTE = 2
    sandbox_http.session.headers["X-App-Token"] = "guess"

    answers = [sandbox_http.request("GET", "/v1/customers") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [401, 401, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_failed_sign_ins_are_not_limited_when_the_rate_limit_is_off(sandbox_http, monkeypatch):
    monkeypatch.setattr(views, "_rate", views._RateWindow())
    sandbox_http.session.headers["X-App-Token"] = "guess"

    answers = [sandbox_http.request("GET", "/v1/customers") for _ in range(5)]

    assert {answer.status_code for answer in answers} == {401}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/customers", "GET or POST"),
        ("GET", "/v1/customers/anyone/permanent-deletion", "POST"),
        ("POST", "/v1/customers/anyone/activity", "GET"),
        ("GET", "/v1/customers/anyone/consents", "PUT"),
        ("POST", "/v1/async-actions", "GET"),
        ("DELETE", "/v1/async-actions/aa_000000000000000000", "GET"),
        ("PUT", "/v1/consents", "GET"),
        ("POST", "/v1/segments/seg_1", "GET"),
        ("PUT", "/v1/customers/bulk/async", "POST"),
        ("OPTIONS", "/v1/customers/importCSV", "GET, PUT, DELETE or POST"),
        ("GET", "/v1/customers/metadata/async", "POST"),
    ],
)
def test_every_route_answers_405_with_its_methods(sandbox_http, method, path, allowed):
    response = sandbox_http.request(method, path)

    body = assert_error(response, 405)
    assert body["details"] == f"{method} is not supported by this endpoint. Did you mean {allowed}?"
    assert response.headers["Allow"] == allowed.replace(" or ", ", ")


def test_customer_whose_source_id_is_bulk_async_is_still_found_by_it(sandbox_http, make_customer):
    created = make_customer(source_id="bulk/async")

    response = sandbox_http.call("GET", "/v1/customers/bulk%2Fasync")

    assert response.json()["id"] == created["id"]
