"""The dashboard's service layer against the sandbox: over HTTP and through the adapter."""

from __future__ import annotations

import io

import pytest
from django.conf import settings

from customers.voucherify import NotFound, ValidationFailed
from customers.voucherify.client import VoucherifyClient
from sandbox import jobs
from sandbox.models import Consent, Segment
from sandbox.transport import SandboxAdapter

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


@pytest.fixture(params=["http", "in-process"])
def client(request):
    if request.param == "http":
        live_server = request.getfixturevalue("live_server")
        made = VoucherifyClient(
            live_server.url + "/sandbox",
            settings.SANDBOX_APP_ID,
            settings.SANDBOX_APP_TOKEN,
            timeout=5,
        )
    else:
        made = VoucherifyClient(
            "http://sandbox.local",
            settings.SANDBOX_APP_ID,
            settings.SANDBOX_APP_TOKEN,
            timeout=5,
            adapter=SandboxAdapter(),
            backend="sandbox",
        )
    yield made
    made.close()


def test_service_layer_customer_lifecycle(client):
    created = client.create_customer(
        {"source_id": "svc/1", "name": "Ann", "email": "ann@example.com"}
    )
    updated = client.update_customer("svc/1", {"address": {"city": "Berlin"}})
    listed = client.list_customers(city="Berlin")
    walked = list(client.iter_customers(limit=1))
    activity = client.list_customer_activity("svc/1")
    activities = client.list_customer_activities(created.id)
    client.delete_customer(created.id)

    assert created.source_id == "svc/1"
    assert created.address is None
    assert created.updated_at is None
    assert updated.address.city == "Berlin"
    assert updated.updated_at is not None
    assert [c.id for c in listed.customers] == [created.id]
    assert [c.id for c in walked] == [created.id]
    assert [a.type for a in activity.activities] == ["customer.updated", "customer.created"]
    assert activities.total == 2
    with pytest.raises(NotFound):
        client.get_customer(created.id)
    receipt = client.customer_permanently_deletion(created.id)
    assert receipt.object == "pernament_deletion"
    assert receipt.data_json["customer"] == 1


def test_service_layer_validation_error_names_the_field(client):
    with pytest.raises(ValidationFailed) as caught:
        client.create_customer({"source_id": "svc-2", "email": "not-an-email"})

    assert caught.value.status == 400


def test_service_layer_async_jobs_reach_done(client):
    csv_id = client.import_customers_using_csv(io.BytesIO(b"Source_id,City\nsvc-3,Oslo\n"))
    bulk_id = client.update_customers_in_bulk([{"source_id": "svc-3", "name": "Bulk"}])
    meta_id = client.update_customers_metadata_in_bulk(["svc-3"], {"tier": "gold"})
    jobs.run_pending_jobs()

    results = [client.get_async_action(i) for i in (csv_id, bulk_id, meta_id)]
    listed = client.list_async_actions(limit=10)
    customer = client.get_customer("svc-3")

    assert [r.status for r in results] == ["DONE", "DONE", "DONE"]
    assert results[0].result.done_count == 1
    assert results[1].result.done_count == 1
    assert {a.id for a in listed.async_actions} == {csv_id, bulk_id, meta_id}
    assert customer.name == "Bulk"
    assert customer.address.city == "Oslo"
    assert customer.metadata == {"tier": "gold"}


def test_service_layer_consents_and_segments(client):
    consent = Consent.objects.using("sandbox").create(
        id="cnst_" + "C" * 24, name="Newsletter", created_at="2024-01-01T00:00:00Z"
    )
    segment = Segment.objects.using("sandbox").create(
        id="seg_" + "S" * 24,
        name="Oslo",
        type=Segment.AUTO_UPDATE,
        filter={"address.city": {"conditions": {"$is": ["Oslo"]}}},
        created_at="2024-01-01T00:00:00Z",
    )
    client.create_customer({"source_id": "svc-4", "address": {"city": "Oslo"}})

    client.update_customers_consents("svc-4", {consent.id: True})
    client.update_customers_consents("svc-4", {"unsubscribed": True})

    assert client.get_customer("svc-4").unsubscribed is True
    assert [c.name for c in client.list_consents().consents] == ["Newsletter"]
    assert [s.id for s in client.list_customer_segments("svc-4")] == [segment.id]
    assert client.get_segment(segment.id).name == "Oslo"


@pytest.mark.parametrize("source_id", ["..", "."])
def test_client_reaches_customer_whose_source_id_is_a_dot_segment(client, source_id):
    created = client.create_customer({"source_id": source_id})

    fetched = client.get_customer(source_id)
    segments = client.list_customer_segments(source_id)
    client.delete_customer(source_id)

    assert fetched.id == created.id
    assert segments == ()
    with pytest.raises(NotFound):
        client.get_customer(source_id)
