from __future__ import annotations

import datetime
import re

import pytest

from customers.voucherify.errors import NotFound, RateLimited
from dashboard.audit import ERASED, audited, diff, keyed_hash, record_export, scrub_customer
from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_audited_normal_exit_records_success_with_changes(user_for):
    user = user_for("support")

    with audited(user, "update_customer", customer_id="cust_1", changes={"phone": ("+1", "+2")}):
        pass

    entry = AuditEntry.objects.get()
    assert entry.user == user
    assert entry.username == user.username
    assert entry.operation == "update_customer"
    assert entry.customer_id == "cust_1"
    assert entry.changes == {"phone": {"old": "+1", "new": "+2"}}
    assert entry.outcome == "success"
    assert entry.error == ""
    assert entry.scrubbed_at is None


def test_audited_customer_id_set_inside_block_is_recorded(user_for):
    with audited(user_for("support"), "create_customer", changes={"name": (None, "Ann")}) as entry:
        entry.customer_id = "cust_new"

    assert AuditEntry.objects.get().customer_id == "cust_new"


def test_audited_voucherify_error_records_failed_and_reraises(user_for):
    error = RateLimited(
        "Too many requests for ann@example.com", status=429, key="", request_id="v-0a1b2c"
    )

    user = user_for("support")

    with pytest.raises(RateLimited), audited(user, "update_customer", customer_id="c"):
        raise error

    entry = AuditEntry.objects.get()
    assert entry.outcome == "failed"
    assert entry.error == "429"
    assert entry.request_id == "v-0a1b2c"
    assert "ann@example.com" not in entry.error


def test_audited_error_with_key_records_status_and_key(user_for):
    with pytest.raises(NotFound), audited(user_for("support"), "get_customer", customer_id="c"):
        raise NotFound("Resource not found", status=404, key="not_found")

    assert AuditEntry.objects.get().error == "404 not_found"


def test_audited_unexpected_error_records_failed_with_class_name(user_for):
    with pytest.raises(KeyError), audited(user_for("support"), "update_customer"):
        raise KeyError("boom")

    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.error) == ("failed", "KeyError")


def test_audited_dates_in_changes_are_stored_as_iso_strings(user_for):
    changes = {"birthdate": (None, datetime.date(1990, 5, 17))}
    with audited(user_for("support"), "update_customer", customer_id="cust_1", changes=changes):
        pass

    assert AuditEntry.objects.get().changes == {"birthdate": {"old": None, "new": "1990-05-17"}}


def test_audited_failed_without_customer_id_keeps_field_names_only(user_for):
    changes = {"email": (None, "ann@example.com"), "metadata.tier": (None, "gold")}
    with (
        pytest.raises(RateLimited),
        audited(user_for("support"), "create_customer", changes=changes),
    ):
        raise RateLimited("x", status=429)

    entry = AuditEntry.objects.get()
    assert entry.changes == {"email": {}, "metadata.tier": {}}
    assert "ann@example.com" not in str(AuditEntry.objects.values_list())


def test_audited_failed_with_customer_id_keeps_values(user_for):
    changes = {"email": ("ann@example.com", "ann@new.example")}
    with (
        pytest.raises(RateLimited),
        audited(user_for("support"), "create_customer", customer_id="cust_1", changes=changes),
    ):
        raise RateLimited("x", status=429)

    assert AuditEntry.objects.get().changes == {
        "email": {"old": "ann@example.com", "new": "ann@new.example"}
    }


def test_scrub_customer_failed_create_left_no_value_to_scrub(user_for):
    user = user_for("support")
    changes = {"source_id": (None, "crm-42"), "email": (None, "ann@example.com")}
    with pytest.raises(RateLimited), audited(user, "create_customer", changes=changes):
        raise RateLimited("x", status=429)

    # Erasure cannot find the entry (it has no customer id) ...
    assert scrub_customer("cust_1", also=["crm-42"]) == 0
    # ... and nothing personal was kept in it.
    entry = AuditEntry.objects.get()
    assert entry.changes == {"email": {}, "source_id": {}}
    assert "ann@" not in str(AuditEntry.objects.values_list())
    assert "crm-42" not in str(AuditEntry.objects.values_list())


def test_audited_user_deleted_later_keeps_username_snapshot(user_for):
    user = user_for("support", username="sam")
    with audited(user, "delete_customer", customer_id="cust_1"):
        pass

    user.delete()

    entry = AuditEntry.objects.get()
    assert (entry.user, entry.username) == (None, "sam")


def test_diff_changed_fields_only_with_nested_metadata_and_address():
    old = {
        "name": "Ann",
        "email": "ann@example.com",
        "metadata": {"tier": "gold", "vip": True},
        "address": {"city": "Oslo", "country": "NO"},
    }
    new = {
        "name": "Ann",
        "email": "ann@new.example",
        "metadata": {"tier": "silver", "vip": True, "lang": "nb"},
        "address": {"city": "Bergen", "country": "NO"},
    }

    assert diff(old, new) == {
        "address.city": ("Oslo", "Bergen"),
        "email": ("ann@example.com", "ann@new.example"),
        "metadata.lang": (None, "nb"),
        "metadata.tier": ("gold", "silver"),
    }


def test_diff_null_address_compares_as_empty_parts():
    assert diff({"address": None}, {"address": {"city": "Oslo"}}) == {
        "address.city": (None, "Oslo")
    }


def test_diff_identical_mappings_is_empty():
    assert diff({"name": "A", "metadata": {}}, {"name": "A", "metadata": {}}) == {}


def test_keyed_hash_is_stable_keyed_and_not_the_value(settings):
    first = keyed_hash("cust_1")
    assert first == keyed_hash("cust_1")
    assert "cust_1" not in first
    settings.SECRET_KEY = "another-key"
    assert keyed_hash("cust_1") != first


def test_scrub_customer_erases_values_and_hashes_id_keeping_the_rest(user_for):
    user = user_for("support")
    changes = {"email": ("ann@example.com", "ann@new.example"), "metadata.tier": ("a", "b")}
    with audited(user, "update_customer", customer_id="cust_1", changes=changes):
        pass
    with audited(user, "update_customer", customer_id="cust_2", changes={"name": ("B", "C")}):
        pass

    assert scrub_customer("cust_1") == 1

    scrubbed = AuditEntry.objects.get(operation="update_customer", customer_id=keyed_hash("cust_1"))
    assert scrubbed.changes == {
        "email": {"old": ERASED, "new": ERASED},
        "metadata.tier": {"old": ERASED, "new": ERASED},
    }
    assert scrubbed.scrubbed_at is not None
    assert (scrubbed.username, scrubbed.outcome) == (user.username, "success")
    assert "ann@" not in str(AuditEntry.objects.values_list())
    untouched = AuditEntry.objects.get(customer_id="cust_2")
    assert untouched.changes == {"name": {"old": "B", "new": "C"}}


def test_scrub_customer_also_identifiers_are_scrubbed_under_the_id_hash(user_for):
    with audited(user_for("support"), "create_customer", customer_id="crm-42"):
        pass

    assert scrub_customer("cust_1", also=["crm-42"]) == 1
    assert AuditEntry.objects.get().customer_id == keyed_hash("cust_1")


def test_scrub_customer_twice_is_idempotent(user_for):
    with audited(user_for("support"), "update_customer", customer_id="cust_1"):
        pass

    scrub_customer("cust_1")

    assert scrub_customer("cust_1") == 0
    assert AuditEntry.objects.get().customer_id == keyed_hash("cust_1")


# -- the audit log page --------------------------------------------------------------------

AUDIT = "/audit/"


def record(user, operation="update_customer", customer_id="cust_1", changes=None, error=None):
    with audited(user, operation, customer_id=customer_id, changes=changes):
        if error:
            raise error


@pytest.fixture
def compliance(client_for):
    return client_for("compliance")


def test_audit_log_full_page_shows_changes_outcome_and_request_id(compliance, user_for):
    support = user_for("support", username="sam")
    record(support, changes={"phone": ("+1", "+2"), "metadata.tier": (None, "gold")})
    with pytest.raises(RateLimited):
        record(support, "delete_customer", error=RateLimited("x", status=429, request_id="v-9"))

    response = compliance.get(AUDIT)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="audit-filters"' in html
    assert "<code>phone</code>: <del>+1</del> → <ins>+2</ins>" in html
    assert "<code>metadata.tier</code>: <del>∅</del> → <ins>gold</ins>" in html
    assert '<span class="badge ok">success</span>' in html
    assert '<span class="badge danger">failed</span>' in html and "429" in html
    assert "<code>v-9</code>" in html
    assert 'href="/customers/cust_1/"' in html
    assert ">sam<" in html


def test_audit_log_shows_an_export_with_rows_and_filter_names(compliance, user_for):
    record_export(user_for("support", username="sam"), rows=137, filters=["email", "city"])

    html = compliance.get(AUDIT, {"operation": "export_customers"}).content.decode()

    assert "Exported customers (CSV)" in html
    assert "137 rows exported; filters: city, email" in html
    assert '<span class="badge ok">success</span>' in html


def test_audit_log_entry_without_values_shows_field_names_only(compliance, user_for):
    with pytest.raises(RateLimited):
        record(
            user_for("support"),
            "create_customer",
            customer_id="",
            changes={"email": (None, "ann@example.com")},
            error=RateLimited("x", status=429),
        )

    html = compliance.get(AUDIT).content.decode()

    assert '<code>email</code> <span class="hint">(values not kept: no customer id)</span>' in html
    assert "ann@example.com" not in html


def test_audit_log_htmx_request_returns_only_the_table(compliance, user_for):
    record(user_for("support"))

    response = compliance.get(AUDIT, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="audit-table"' not in html  # the content of the live region only
    assert "<html" not in html and "audit-filters" not in html
    assert "HX-Request" in response["Vary"]


def test_audit_log_values_are_escaped(compliance, user_for):
    record(user_for("support"), changes={"name": ("a", "<img src=x onerror=alert(1)>")})

    html = compliance.get(AUDIT).content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_audit_log_filters_by_user_operation_customer_outcome_and_dates(compliance, user_for):
    sam, kim = user_for("support", username="sam"), user_for("support", username="kim")
    record(sam, "update_customer", "cust_a")
    record(kim, "update_customer", "cust_b")
    record(sam, "delete_customer", "cust_b")
    old = AuditEntry.objects.create(
        username="sam", operation="delete_customer", customer_id="cust_b", outcome="success"
    )
    AuditEntry.objects.filter(pk=old.pk).update(
        created_at=datetime.datetime(2020, 1, 5, 12, tzinfo=datetime.UTC)
    )

    def shown(**params):
        html = compliance.get(AUDIT, params).content.decode()
        return len(re.findall(r"<tr>\s*<td><time", html))

    assert shown() == 4
    assert shown(user="sam") == 3
    assert shown(user="sam", operation="delete_customer") == 2
    assert shown(customer_id="cust_b") == 3
    assert shown(outcome="failed") == 0
    assert shown(date_from="2020-01-05", date_to="2020-01-05") == 1
    assert shown(date_to="2020-01-04") == 0


def test_audit_log_erased_customer_is_found_by_the_id_it_had(compliance, user_for):
    record(user_for("support"), customer_id="cust_gone", changes={"email": ("a@x.io", "b@x.io")})
    scrub_customer("cust_gone")

    html = compliance.get(AUDIT, {"customer_id": "cust_gone"}).content.decode()

    assert "erased</span>" in html
    assert "a@x.io" not in html and "cust_gone" not in html.split('id="audit-table"')[1]
    assert "<del>[erased]</del>" in html


def test_audit_log_paginates_fifty_per_page_keeping_filters(compliance, user_for):
    user = user_for("support", username="sam")
    AuditEntry.objects.bulk_create(
        AuditEntry(username="sam", user=user, operation="update_customer", outcome="success")
        for _ in range(120)
    )

    response = compliance.get(AUDIT, {"user": "sam", "page": "2"})

    html = response.content.decode()
    assert "120 entries" in html and "page 2 of 3" in html
    assert 'href="/audit/?user=sam&amp;page=3"' in html
    assert len(re.findall(r"<tr>\s*<td><time", html)) == 50


def test_audit_log_invalid_dates_show_an_error(compliance):
    response = compliance.get(AUDIT, {"date_from": "2024-02-01", "date_to": "2024-01-01"})

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()


def test_audit_log_htmx_invalid_filters_listed_by_label_inside_the_fragment(compliance):
    response = compliance.get(
        AUDIT, {"date_from": "2024-02-01", "date_to": "2024-01-01"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert 'id="audit-table"' not in html  # the content of the live region only
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert "To: The end date is before the start date." in text
    assert "data-first-page" not in html


def test_audit_log_malformed_page_links_to_page_one(compliance):
    response = compliance.get(AUDIT, {"page": "x", "outcome": "failed"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "Page: Enter a whole number." in re.sub(r"<[^>]+>", "", html)
    assert re.search(r'<a href="/audit/\?outcome=failed" data-first-page>Go to page 1</a>', html)


def test_audit_log_empty_says_so(compliance):
    assert "No audit entries match these filters." in compliance.get(AUDIT).content.decode()
