"""The consent ledger is append-only: no edit or delete path in the app; the erasure scrub
keeps every entry and leaves none of the person's identifiers behind."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from customers.models import ConsentLedgerEntry
from customers.models.consents import LedgerIsAppendOnly
from dashboard import erasure
from tests.customers.consent_fixtures import CID, NEWSLETTER, at, entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    return entry(NEWSLETTER, "never_asked", "granted", at(1), outcome="unknown")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("new_state", "withdrawn"),
        ("reason", "Something else"),
        ("method", "email"),
        ("username", "someone-else"),
        ("recorded_at", at(2)),
        ("wording_fingerprint", "sha256:0"),
    ],
)
def test_ledger_entry_save_refuses_an_edit(stored, field, value):
    setattr(stored, field, value)

    with pytest.raises(LedgerIsAppendOnly):
        stored.save()
    with pytest.raises(LedgerIsAppendOnly):
        stored.save(update_fields=[field])

    stored.refresh_from_db()
    assert getattr(stored, field) != value


def test_ledger_entry_cannot_be_deleted_one_by_one_or_in_bulk(stored):
    with pytest.raises(LedgerIsAppendOnly):
        stored.delete()
    with pytest.raises(LedgerIsAppendOnly):
        ConsentLedgerEntry.objects.filter(pk=stored.pk).delete()
    with pytest.raises(LedgerIsAppendOnly):
        ConsentLedgerEntry.objects.all().delete()

    assert ConsentLedgerEntry.objects.count() == 1


def test_ledger_entries_cannot_be_updated_in_bulk(stored):
    with pytest.raises(LedgerIsAppendOnly):
        ConsentLedgerEntry.objects.filter(pk=stored.pk).update(reason="rewritten")

    stored.refresh_from_db()
    assert stored.reason == "The customer called"


def test_ledger_unknown_outcome_is_settled_once_and_then_frozen(stored):
    assert stored.settle(applied=True, how="Voucherify answered 204") is True
    stored.refresh_from_db()
    assert (stored.outcome, stored.settled_how) == ("applied", "Voucherify answered 204")
    assert stored.settled_at is not None

    assert stored.settle(applied=False, how="again") is False
    stored.outcome = "failed"
    with pytest.raises(LedgerIsAppendOnly):
        stored.save(update_fields=["outcome"])
    stored.refresh_from_db()
    assert stored.outcome == "applied"


def test_ledger_settled_entry_cannot_go_back_to_unknown():
    applied = entry(NEWSLETTER, "never_asked", "granted", at(1))
    applied.outcome = "unknown"

    with pytest.raises(LedgerIsAppendOnly):
        applied.save(update_fields=["outcome"])


def test_ledger_unknown_entry_keeps_the_error_that_left_it_unknown_once(stored):
    stored.note_unanswered(error="Timeout: slow", request_id="v-1")
    stored.note_unanswered(error="second", request_id="v-2")

    stored.refresh_from_db()
    assert (stored.outcome, stored.error, stored.request_id) == ("unknown", "Timeout: slow", "v-1")
    stored.error = "rewritten"
    with pytest.raises(LedgerIsAppendOnly):
        stored.save(update_fields=["error"])


def test_ledger_admin_is_read_only(client, admin_user, stored):
    client.force_login(admin_user)
    change = reverse("admin:customers_consentledgerentry_change", args=[stored.pk])
    delete = reverse("admin:customers_consentledgerentry_delete", args=[stored.pk])

    assert client.get(reverse("admin:customers_consentledgerentry_changelist")).status_code == 200
    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert b"deletelink" not in page.content
    assert client.post(change, {"reason": "rewritten"}).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:customers_consentledgerentry_add")).status_code == 403
    stored.refresh_from_db()
    assert stored.reason == "The customer called"


def test_ledger_has_no_edit_or_delete_route_in_the_dashboard():
    def names(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from names(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.lookup_str

    consent_routes = [
        (route, view)
        for route, view in names(get_resolver())
        if "consent" in route.lower() or "consent" in view.lower()
    ]
    assert consent_routes
    for route, view in consent_routes:
        if route.startswith("admin/") or route.startswith("sandbox/"):
            continue
        assert not any(word in route for word in ("edit", "delete", "update")), route
        assert view.startswith("customers.views.consents.")


def test_ledger_scrub_replaces_identifiers_keeps_every_entry_and_is_idempotent(stored):
    other = ConsentLedgerEntry.objects.create(
        customer_id="cust_someone_else",
        consent_id=NEWSLETTER,
        consent_name="Newsletter",
        wording_fingerprint="sha256:1",
        old_state="never_asked",
        new_state="granted",
        method="email",
        reason="Emailed ada@example.com",
        username="m",
        outcome="applied",
    )
    second = entry(NEWSLETTER, "granted", "withdrawn", at(2))
    ConsentLedgerEntry.objects.create(
        **{
            f.attname: getattr(second, f.attname)
            for f in ConsentLedgerEntry._meta.concrete_fields
            if f.attname not in ("id", "ticket", "error")
        },
        ticket="call from ada@example.com",
        error="404 not_found: Cannot find customer with id crm-c1",
    )
    person = erasure.ErasedPerson(
        customer_id=CID, source_id="crm-c1", email="ada@example.com", name="Ada"
    )

    counts = erasure.scrub_everywhere(person)

    assert counts["consent ledger"] == 3
    scrubbed = ConsentLedgerEntry.objects.exclude(pk=other.pk)
    assert scrubbed.count() == 3
    for row in scrubbed:
        assert row.customer_id == erasure.keyed_hash(CID)
        assert row.reason == erasure.REDACTED
        assert row.scrubbed_at is not None
        assert (row.consent_name, row.method) == ("Newsletter", "phone")
        for value in person.personal_values():
            for text in (row.customer_id, row.reason, row.ticket, row.error):
                assert value not in text
    other.refresh_from_db()
    assert other.customer_id == "cust_someone_else"
    assert other.reason == "Emailed ada@example.com"
    assert erasure.scrub_everywhere(person)["consent ledger"] == 0


def test_ledger_keeps_the_entries_of_a_deleted_staff_account(django_user_model):
    staff = django_user_model.objects.create_user("leaver", password="x")
    kept = entry(NEWSLETTER, "never_asked", "granted", at(1), user=staff)

    staff.delete()

    kept.refresh_from_db()
    assert (kept.user, kept.username) == (None, "leaver")
