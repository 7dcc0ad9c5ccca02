"""The service layer against the embedded sandbox, through `get_client()` and the in-process
SandboxAdapter: the same calls the pages make, every exchange checked against the contract."""

from __future__ import annotations

import io

import pytest
from requests.adapters import BaseAdapter

from customers.voucherify import NotFound, ValidationFailed, get_client
from tests.contract import assert_matches_contract

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


class ContractChecked(BaseAdapter):
    """Wraps the sandbox adapter; checks every request and answer against the contract."""

    def __init__(self, inner: BaseAdapter):
        super().__init__()
        self.inner = inner

    def send(self, request, **kwargs):
        if request.body is not None and not isinstance(request.body, bytes | str):
            # The streamed CSV upload: materialise it here so the contract can read it too
            # (streaming itself is tested in test_multipart.py).
            request.body = b"".join(request.body)
        response = self.inner.send(request, **kwargs)
        assert_matches_contract(request, response)
        return response

    def close(self):
        self.inner.close()


@pytest.fixture
def vf():
    get_client.cache_clear()
    client = get_client()
    adapter = client.session.get_adapter(client.base_url + "/v1/customers")
    client.session.mount(client.base_url + "/", ContractChecked(adapter))
    yield client
    get_client.cache_clear()


def test_sandbox_customer_lifecycle_with_odd_source_id(vf):
    assert vf.backend == "sandbox"
    created = vf.create_customer(
        {"source_id": "a/b c", "name": "Ann Lee", "email": "ann@example.com"}
    )

    fetched = vf.get_customer("a/b c")
    updated = vf.update_customer("a/b c", {"phone": "+48 600 000 000", "metadata": {"k": "v"}})
    listed = vf.list_customers(email="ann@example.com")
    vf.delete_customer(created.id)

    assert fetched.id == created.id
    assert fetched.metadata == {}
    assert fetched.updated_at is None
    assert updated.phone == "+48 600 000 000"
    assert updated.metadata == {"k": "v"}
    assert updated.updated_at is not None
    assert [c.id for c in listed.customers] == [created.id]
    with pytest.raises(NotFound):
        vf.get_customer(created.id)


@pytest.mark.parametrize("source_id", ["..", "."])
def test_sandbox_finds_customer_whose_source_id_is_a_dot_segment(vf, source_id):
    created = vf.create_customer({"source_id": source_id})

    fetched = vf.get_customer(source_id)
    updated = vf.update_customer(source_id, {"name": "Dots"})
    activity = vf.list_customer_activity(source_id)
    vf.delete_customer(source_id)

    assert fetched.id == created.id
    assert updated.name == "Dots"
    assert [a.type for a in activity.activities] == ["customer.updated", "customer.created"]
    with pytest.raises(NotFound):
        vf.get_customer(created.id)


def test_sandbox_iter_customers_and_activity(vf):
    ids = {vf.create_customer({"source_id": f"iter-{n}"}).id for n in range(5)}
    vf.update_customer("iter-0", {"name": "Changed"})

    walked = [c.id for c in vf.iter_customers(limit=2)]
    activity = list(vf.iter_customer_activity("iter-0", limit=1))

    assert ids <= set(walked)
    assert len(walked) == len(set(walked))
    assert {a.type for a in activity} >= {"customer.created", "customer.updated"}
    assert vf.list_customer_activities("iter-0").total >= 2
    assert isinstance(vf.list_customer_segments("iter-0"), tuple)


def test_sandbox_validation_error_has_field_errors():
    get_client.cache_clear()  # no contract check: the request breaks it on purpose
    vf = get_client()

    with pytest.raises(ValidationFailed) as caught:
        vf.create_customer({"source_id": "bad", "email": 12})

    assert caught.value.status == 400
    assert caught.value.key == "invalid_payload"
    assert "email" in caught.value.field_errors


def test_sandbox_bulk_and_import_return_async_actions(vf):
    import_id = vf.import_customers_using_csv(io.BytesIO(b"Source_id,Name\ncsv-1,Cee\n"))
    bulk_id = vf.update_customers_in_bulk([{"source_id": "bulk-1", "name": "Bee"}])
    meta_id = vf.update_customers_metadata_in_bulk(["bulk-1"], {"tier": "gold"})

    actions = [vf.get_async_action(i) for i in (import_id, bulk_id, meta_id)]

    assert [a.type for a in actions] == [
        "CUSTOMERS.IMPORT_CSV",
        "CUSTOMERS.BULK_UPDATE",
        "CUSTOMERS.METADATA_UPDATE",
    ]
    assert {a.id for a in vf.list_async_actions(limit=10).async_actions} >= {
        import_id,
        bulk_id,
        meta_id,
    }


def test_sandbox_consents_and_permanent_deletion(vf):
    customer = vf.create_customer({"source_id": "gdpr-1", "email": "gdpr@example.com"})
    consents = vf.list_consents()
    if consents.consents:
        vf.update_customers_consents("gdpr-1", {consents.consents[0].id: True})

    receipt = vf.customer_permanently_deletion("gdpr-1")

    assert receipt.related_object_id == customer.id
    assert receipt.status == "DONE"
    with pytest.raises(NotFound):
        vf.get_customer(customer.id)
