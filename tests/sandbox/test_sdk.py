"""The official Voucherify Python SDK (OpenAPI-generated) against the sandbox over HTTP.

If the SDK cannot deserialize an answer, the sandbox is wrong.
"""

from __future__ import annotations

import pytest
import voucherify
from django.conf import settings

from sandbox import jobs

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture
def sdk(live_server):
    configuration = voucherify.Configuration(
        host=live_server.url + "/sandbox",
        api_key={"X-App-Id": settings.SANDBOX_APP_ID, "X-App-Token": settings.SANDBOX_APP_TOKEN},
    )
    with voucherify.ApiClient(configuration) as api_client:
        yield api_client


def test_sdk_creates_reads_lists_updates_customers(sdk):
    customers = voucherify.CustomersApi(sdk)

    created = customers.create_customer(
        voucherify.CustomersCreateRequestBody(
            source_id="sdk-1",
            name="Ann Lee",
            email="ann@example.com",
            address=voucherify.CustomersCreateRequestBodyAddress(city="Berlin", country="Germany"),
            metadata={"tier": "gold"},
        )
    )
    fetched = customers.get_customer("sdk-1")
    listed = customers.list_customers(limit=10, city="Berlin", order="-created_at")
    updated = customers.update_customer(
        created.id, voucherify.CustomersUpdateRequestBody(phone="+49 30 123")
    )
    activity = customers.list_customer_activity(created.id)
    segments = customers.list_customer_segments(created.id)

    assert created.id.startswith("cust_")
    assert created.address.city == "Berlin"
    assert fetched.metadata == {"tier": "gold"}
    assert [c.id for c in listed.customers] == [created.id]
    assert listed.total == 1
    assert updated.phone == "+49 30 123"
    assert updated.updated_at is not None
    assert [a.type for a in activity.data] == ["customer.updated", "customer.created"]
    assert segments.total == 0


def test_sdk_imports_csv_and_polls_async_action_to_done(sdk):
    customers = voucherify.CustomersApi(sdk)
    async_actions = voucherify.AsyncActionsApi(sdk)

    started = customers.import_customers_using_csv(
        file=b"Source_id,Name,Email,City\nsdk-csv-1,Cleo,cleo@example.com,Paris\n"
    )
    # No worker thread in tests: the GET works the queue up to this job (see sandbox.jobs).
    action = async_actions.get_async_action(started.async_action_id)
    listed = async_actions.list_async_actions(limit=5)

    assert action.status == "DONE"
    assert action.type == "CUSTOMERS.IMPORT_CSV"
    assert action.progress == 100
    assert [a.id for a in listed.async_actions] == [started.async_action_id]
    assert customers.get_customer("sdk-csv-1").address.city == "Paris"


def test_sdk_bulk_updates_then_deletes_and_permanently_deletes(sdk):
    customers = voucherify.CustomersApi(sdk)
    async_actions = voucherify.AsyncActionsApi(sdk)
    customers.create_customer(voucherify.CustomersCreateRequestBody(source_id="sdk-2"))

    started = customers.update_customers_in_bulk(
        [
            voucherify.CustomersUpdateInBulkRequestBody(source_id="sdk-2", name="Bulk Name"),
            voucherify.CustomersUpdateInBulkRequestBody(source_id="sdk-3", name="New One"),
        ]
    )
    metadata = customers.update_customers_metadata_in_bulk(
        voucherify.CustomersMetadataUpdateInBulkRequestBody(
            source_ids=["sdk-2"], metadata={"vip": True}
        )
    )
    jobs.run_pending_jobs()
    done = async_actions.get_async_action(started.async_action_id)
    meta_done = async_actions.get_async_action(metadata.async_action_id)
    bulk_named = customers.get_customer("sdk-2")
    customers.delete_customer("sdk-3")
    receipt = customers.customer_permanently_deletion("sdk-2")

    assert done.status == "DONE"
    assert meta_done.status == "DONE"
    assert bulk_named.name == "Bulk Name"
    assert bulk_named.metadata == {"vip": True}
    assert receipt.object == "pernament_deletion"
    assert receipt.status == "DONE"
    assert receipt.data_json.customer == 1
    with pytest.raises(voucherify.exceptions.NotFoundException):
        customers.get_customer("sdk-3")
    with pytest.raises(voucherify.exceptions.NotFoundException):
        customers.get_customer("sdk-2")


def test_sdk_sees_401_with_wrong_token(live_server):
    configuration = voucherify.Configuration(
        host=live_server.url + "/sandbox",
        api_key={"X-App-Id": settings.SANDBOX_APP_ID, "X-App-Token": "wrong"},
    )
    with (
        voucherify.ApiClient(configuration) as api_client,
        pytest.raises(voucherify.exceptions.UnauthorizedException) as caught,
    ):
        voucherify.CustomersApi(api_client).list_customers()

    assert caught.value.status == 401
