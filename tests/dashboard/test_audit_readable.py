"""Readable records: operations in words, the customer named, values as JSON, the customer
filter by source id, and why a request id is missing."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from customers.services import customers as services
from customers.voucherify.errors import ConnectionFailed, Timeout
from dashboard import erasure
from dashboard.audit import audited, keyed_hash, operation_label, record_export, scrub_customer
from dashboard.models import AuditEntry
from tests.customers.pages_support import make_customer

pytestmark = pytest.mark.django_db
AUDIT = "/audit/"


@pytest.fixture
def compliance(client_for):
    return client_for("compliance")


def _rows(response):
    return HTMLParser(response.text).css("#audit-table tbody tr")


def _cell(row, name):
    return row.css_first(f"[data-{name}]")


def test_operation_label_words_and_unknown_humanised():
    assert operation_label("update_customer") == "Edited the customer"
    assert operation_label("update_customers_consents") == "Changed consents"
    assert operation_label("merge_things") == "Merge things"


def test_customer_update_records_the_customers_name_and_source_id(fake_client, user_for):
    fake_client.customer = make_customer()
    services.customer_update(
        customer_id=fake_client.customer.id,
        opened=fake_client.customer.base_fields(),
        submitted={**fake_client.customer.base_fields(), "phone": "+47 1"},
        user=user_for("support"),
    )

    entry = AuditEntry.objects.get()
    assert (entry.customer_name, entry.customer_source_id) == ("Ada Lovelace", "crm-1")


def test_customer_create_records_the_created_customers_name(fake_client, user_for):
    services.customer_create(
        fields={"name": "Grace", "email": "g@example.com"}, user=user_for("support")
    )

    entry = AuditEntry.objects.get()
    assert entry.customer_id
    assert entry.customer_name  # the customer the API answered with


def test_audit_log_shows_operation_words_customer_name_and_json_values(compliance, user_for):
    with audited(
        user_for("support", "sam"),
        "update_customer",
        customer_id="cust_1",
        customer=make_customer(id="cust_1"),
        changes={"metadata.tags": (["a", "b"], ["a"]), "metadata.prefs": (None, {"x": 1})},
    ):
        pass

    row = _rows(compliance.get(AUDIT))[0]

    assert _cell(row, "operation").text(strip=True) == "Edited the customer"
    customer = _cell(row, "customer").text()
    assert "Ada Lovelace" in customer and "cust_1" in customer and "crm-1" in customer
    changes = row.css_first("ul.changes").text()
    assert '["a", "b"]' in changes and '{"x": 1}' in changes
    assert "['a'" not in changes and "{'x'" not in changes


def test_audit_log_customer_filter_accepts_a_source_id(compliance, user_for):
    user = user_for("support")
    for n in (1, 2):
        with audited(
            user,
            "update_customer",
            customer_id=f"cust_{n}",
            customer=make_customer(id=f"cust_{n}", source_id=f"crm-{n}"),
        ):
            pass

    rows = _rows(compliance.get(AUDIT, {"customer_id": "crm-2"}))

    assert len(rows) == 1
    assert "cust_2" in _cell(rows[0], "customer").text()


def test_audit_log_request_id_column_says_why_it_is_empty(compliance, user_for):
    user = user_for("support")
    with audited(user, "update_customer", customer_id="cust_1"):
        pass
    for error in (Timeout("slow"), ConnectionFailed("down")):
        with pytest.raises(type(error)), audited(user, "update_customer", customer_id="cust_1"):
            raise error
    record_export(user, rows=3, filters=[])

    reasons = [_cell(r, "request-id").text(strip=True) for r in _rows(compliance.get(AUDIT))]

    assert reasons == [
        "no call to Voucherify",
        "none: Voucherify was not reached or sent none",
        "none: no answer came back",
        "none: Voucherify sends one with errors only",
    ]


def test_scrub_customer_clears_the_name_and_hashes_the_source_id(user_for):
    with audited(
        user_for("support"), "update_customer", customer_id="cust_1", customer=make_customer()
    ):
        pass

    scrub_customer("cust_1", also=["crm-1"])

    entry = AuditEntry.objects.get()
    assert entry.customer_name == ""
    assert entry.customer_source_id == keyed_hash("crm-1")
    assert "Ada" not in str(entry.__dict__) and "crm-1" not in str(entry.__dict__)


def test_erasure_scrub_then_filter_by_the_old_source_id_finds_the_entry(compliance, user_for):
    with audited(
        user_for("support"), "update_customer", customer_id="cust_1", customer=make_customer()
    ):
        pass
    erasure.scrub_everywhere(erasure.ErasedPerson(customer_id="cust_1", source_id="crm-1"))

    rows = _rows(compliance.get(AUDIT, {"customer_id": "crm-1"}))

    assert len(rows) == 1
    assert "Ada" not in rows[0].text()
