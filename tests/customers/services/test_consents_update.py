"""`customer_consents_update` against the sandbox: the request body of each kind of change
(checked against the contract), the ledger and audit entries it writes, and every way the
write can fail."""

from __future__ import annotations

import json

import pytest

from customers.models import ConsentLedgerEntry
from customers.models.consents import wording_fingerprint
from customers.services import consents as service
from customers.voucherify import (
    ConnectionFailed,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
)
from dashboard.models import AuditEntry, WriteLock
from tests.contract import assert_matches_contract

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

WORDING = {
    "Newsletter": "Monthly newsletter by email",
    "SMS offers": "Promotions by text message",
    "Profiling": "Offers based on purchase history",
}


def shown(sandbox) -> dict[str, str]:
    return {sandbox.id(name): wording_fingerprint(name, text) for name, text in WORDING.items()}


def change(sandbox, user, changes=None, **kwargs):
    kwargs.setdefault("method", "phone")
    kwargs.setdefault("reason", "The customer called")
    return service.customer_consents_update(
        customer_id=kwargs.pop("customer_id", sandbox.customer.id),
        changes={sandbox.id(name): granted for name, granted in (changes or {}).items()},
        shown=kwargs.pop("shown", shown(sandbox)),
        user=user,
        **kwargs,
    )


def sent_body(sandbox) -> dict:
    """The one PUT of the change, checked against the contract."""
    (request, response), *more = sandbox.adapter.puts()
    assert not more
    assert_matches_contract(request, response)
    assert response.status_code == 204
    return json.loads(request.body)


def ledger():
    return list(ConsentLedgerEntry.objects.order_by("id"))


@pytest.fixture
def marketing(user_for):
    return user_for("marketing")


def fail_put(sandbox, monkeypatch, error, *, apply_first=False):
    """The PUT raises `error`; with `apply_first` the sandbox applied it before (a timeout
    after Voucherify did the work)."""
    real = sandbox.client.update_customers_consents

    def put(customer_id, body):
        if apply_first:
            real(customer_id, body)
        raise error

    monkeypatch.setattr(sandbox.client, "update_customers_consents", put)


def test_change_addressed_by_source_id_holds_the_lock_of_the_customers_id(
    consents_sandbox, marketing, monkeypatch
):
    sandbox = consents_sandbox
    held = []
    real = sandbox.client.update_customers_consents

    def put(customer_id, body):
        held.extend(WriteLock.objects.values_list("key", flat=True))
        real(customer_id, body)

    monkeypatch.setattr(sandbox.client, "update_customers_consents", put)

    outcome = change(sandbox, marketing, {"Newsletter": True}, customer_id="consent-1")

    assert isinstance(outcome, service.ConsentsSaved)
    assert held == [f"consents:{sandbox.customer.id}"]
    assert not WriteLock.objects.exists()


# --- the request body and the records of each kind of change -------------------------------


def test_update_grant_and_withdraw_sends_one_map_and_records_one_entry_each(
    consents_sandbox, marketing
):
    sandbox = consents_sandbox

    outcome = change(sandbox, marketing, {"Newsletter": True, "SMS offers": False}, ticket=" T-12 ")

    assert isinstance(outcome, service.ConsentsSaved)
    assert sent_body(sandbox) == {sandbox.id("Newsletter"): True, sandbox.id("SMS offers"): False}
    newsletter, sms = ledger()
    assert newsletter.change_id == sms.change_id
    assert (newsletter.consent_name, newsletter.old_state, newsletter.new_state) == (
        "Newsletter",
        "never_asked",
        "granted",
    )
    assert (sms.old_state, sms.new_state) == ("never_asked", "withdrawn")
    assert newsletter.customer_id == sandbox.customer.id
    assert newsletter.wording_fingerprint == wording_fingerprint(
        "Newsletter", WORDING["Newsletter"]
    )
    assert newsletter.consent_description == WORDING["Newsletter"]
    assert (newsletter.method, newsletter.reason, newsletter.ticket) == (
        "phone",
        "The customer called",
        "T-12",
    )
    assert (newsletter.user, newsletter.username) == (marketing, marketing.username)
    assert newsletter.outcome == sms.outcome == "applied"
    assert newsletter.recorded_at.utcoffset().total_seconds() == 0
    trail = AuditEntry.objects.get()
    assert (trail.operation, trail.outcome, trail.customer_id) == (
        "update_customers_consents",
        "success",
        sandbox.customer.id,
    )
    key = f"Newsletter ({sandbox.id('Newsletter')})"
    assert trail.changes[key] == {"old": "never_asked", "new": "granted"}
    consents = sandbox.current().system_metadata["consents"]
    assert consents[sandbox.id("Newsletter")]["value"] is True
    assert consents[sandbox.id("SMS offers")]["value"] is False


def test_update_unsubscribe_all_sends_unsubscribed_true_and_withdraws_each_granted(
    consents_sandbox, marketing
):
    sandbox = consents_sandbox
    change(sandbox, marketing, {"Newsletter": True, "Profiling": True})
    sandbox.adapter.calls.clear()

    outcome = change(sandbox, marketing, unsubscribe_all=True, method="email")

    assert isinstance(outcome, service.ConsentsSaved)
    assert sent_body(sandbox) == {"unsubscribed": True}
    recorded = {(e.consent_name, e.old_state, e.new_state) for e in outcome.entries}
    assert recorded == {
        ("Unsubscribed from all marketing", "subscribed", "unsubscribed"),
        ("Newsletter", "granted", "withdrawn"),
        ("Profiling", "granted", "withdrawn"),
    }
    current = sandbox.current()
    assert current.unsubscribed is True
    assert current.system_metadata["consents"][sandbox.id("Newsletter")]["value"] is False
    state = service.customer_consents_get(customer_id=sandbox.customer.id, user=marketing)
    assert state.unsubscribed is True
    assert {s.state for s in state.statuses()} == {"withdrawn", "never_asked"}
    assert all(s.disagreement is None for s in state.statuses())


def test_update_grant_while_unsubscribed_opts_back_in_explicitly(consents_sandbox, marketing):
    sandbox = consents_sandbox
    change(sandbox, marketing, unsubscribe_all=True)
    sandbox.adapter.calls.clear()

    outcome = change(sandbox, marketing, {"SMS offers": True})

    assert sent_body(sandbox) == {sandbox.id("SMS offers"): True, "unsubscribed": False}
    assert {(e.consent_id, e.new_state) for e in outcome.entries} == {
        (sandbox.id("SMS offers"), "granted"),
        ("unsubscribed", "subscribed"),
    }
    assert sandbox.current().unsubscribed is False


def test_update_given_withdrawn_given_again_keeps_three_entries(consents_sandbox, marketing):
    sandbox = consents_sandbox
    for granted in (True, False, True):
        change(sandbox, marketing, {"Newsletter": granted})

    assert [(e.old_state, e.new_state) for e in ledger()] == [
        ("never_asked", "granted"),
        ("granted", "withdrawn"),
        ("withdrawn", "granted"),
    ]
    state = service.customer_consents_get(customer_id=sandbox.customer.id, user=marketing)
    newsletter = state.by_id()[sandbox.id("Newsletter")]
    assert newsletter.state == "granted"
    assert newsletter.last.entry == ledger()[-1]
    assert [item.source for item in state.history] == ["dashboard"] * 3


def test_update_changed_outside_the_dashboard_shows_in_the_section(consents_sandbox, marketing):
    sandbox = consents_sandbox
    change(sandbox, marketing, {"Newsletter": True})
    sandbox.client.update_customers_consents(sandbox.customer.id, {sandbox.id("Newsletter"): False})

    state = service.customer_consents_get(customer_id=sandbox.customer.id, user=marketing)

    newsletter = state.by_id()[sandbox.id("Newsletter")]
    assert newsletter.state == "withdrawn"
    assert newsletter.disagreement == "outside"
    assert newsletter.dashboard.state == "granted"
    assert [item.source for item in state.history] == ["voucherify", "dashboard"]


def test_update_asking_for_the_current_state_sends_nothing(consents_sandbox, marketing):
    sandbox = consents_sandbox
    change(sandbox, marketing, {"Newsletter": True})
    sandbox.adapter.calls.clear()

    outcome = change(sandbox, marketing, {"Newsletter": True})

    assert isinstance(outcome, service.ConsentsUnchanged)
    assert sandbox.adapter.puts() == []
    assert len(ledger()) == 1


def test_update_reworded_since_shown_sends_nothing(consents_sandbox, marketing):
    sandbox = consents_sandbox
    old_wording = {**shown(sandbox), sandbox.id("Newsletter"): wording_fingerprint("x", "y")}

    outcome = change(sandbox, marketing, {"Newsletter": True}, shown=old_wording)

    assert isinstance(outcome, service.WordingChanged)
    assert [s.consent.name for s in outcome.consents] == ["Newsletter"]
    assert sandbox.adapter.puts() == []
    assert ledger() == []


def test_update_unknown_consent_sends_nothing(consents_sandbox, marketing):
    sandbox = consents_sandbox

    outcome = service.customer_consents_update(
        customer_id=sandbox.customer.id,
        changes={"cnst_gone": True},
        method="phone",
        reason="x",
        shown={},
        user=marketing,
    )

    assert isinstance(outcome, service.UnknownConsents)
    assert outcome.consent_ids == ("cnst_gone",)
    assert sandbox.adapter.puts() == []


@pytest.mark.parametrize(("method", "reason"), [("", "why"), ("fax", "why"), ("phone", "  ")])
def test_update_without_a_known_method_or_a_reason_is_refused(
    consents_sandbox, marketing, method, reason
):
    with pytest.raises(ValueError):
        change(consents_sandbox, marketing, {"Newsletter": True}, method=method, reason=reason)
    assert consents_sandbox.adapter.calls == []


# --- failures -------------------------------------------------------------------------------


def test_update_timeout_after_voucherify_applied_it_is_settled_applied_by_reading_back(
    consents_sandbox, marketing, monkeypatch
):
    sandbox = consents_sandbox
    fail_put(sandbox, monkeypatch, Timeout("read timeout"), apply_first=True)

    outcome = change(sandbox, marketing, {"Newsletter": True})

    assert isinstance(outcome, service.ConsentsSaved)
    assert outcome.checked is True
    (entry,) = ledger()
    assert entry.outcome == "applied"
    assert entry.settled_how == "re-read the customer's consents"
    assert "Timeout" in entry.error
    trail = AuditEntry.objects.get()
    assert trail.outcome == "success"
    assert "applied (re-read" in trail.error


def test_update_timeout_not_applied_is_settled_failed_by_reading_back(
    consents_sandbox, marketing, monkeypatch
):
    sandbox = consents_sandbox
    change(sandbox, marketing, {"Newsletter": True})
    fail_put(sandbox, monkeypatch, Timeout("read timeout"))

    outcome = change(sandbox, marketing, {"Newsletter": False})

    assert isinstance(outcome, service.ConsentsNotApplied)
    assert outcome.checked is True
    assert ledger()[-1].outcome == "failed"
    assert AuditEntry.objects.first().outcome == "failed"
    assert outcome.state.by_id()[sandbox.id("Newsletter")].state == "granted"


def test_update_timeout_with_nothing_to_read_back_stays_unknown_until_the_section_is_read(
    consents_sandbox, marketing, monkeypatch
):
    sandbox = consents_sandbox
    fail_put(sandbox, monkeypatch, Timeout("read timeout"), apply_first=True)
    real_get = sandbox.client.get_customer
    calls = []

    def get_customer(customer_id):
        calls.append(customer_id)
        if len(calls) > 1:  # the read-back after the timeout
            raise ConnectionFailed("unreachable")
        return real_get(customer_id)

    monkeypatch.setattr(sandbox.client, "get_customer", get_customer)

    outcome = change(sandbox, marketing, {"Newsletter": True})

    assert isinstance(outcome, service.ConsentsOutcomeUnknown)
    (entry,) = ledger()
    assert entry.outcome == "unknown"
    assert entry.error.startswith("Timeout")
    assert AuditEntry.objects.get().outcome == "unknown"
    assert outcome.state.by_id()[sandbox.id("Newsletter")].pending == (entry,)

    monkeypatch.setattr(sandbox.client, "get_customer", real_get)
    state = service.customer_consents_get(customer_id=sandbox.customer.id, user=marketing)

    entry.refresh_from_db()
    assert entry.outcome == "applied"
    assert state.by_id()[sandbox.id("Newsletter")].state == "granted"


def test_update_server_error_500_may_have_applied_and_is_read_back(
    consents_sandbox, marketing, monkeypatch
):
    sandbox = consents_sandbox
    fail_put(sandbox, monkeypatch, ServerError("boom", status=500, request_id="v-500"))

    outcome = change(sandbox, marketing, {"Profiling": True})

    # The sandbox shows no consent state for this customer yet: nothing settles it.
    assert isinstance(outcome, service.ConsentsOutcomeUnknown)
    (entry,) = ledger()
    assert (entry.outcome, entry.request_id) == ("unknown", "v-500")


@pytest.mark.parametrize(
    "error",
    [
        ServerError("unavailable", status=503, request_id="v-503"),
        RateLimited("Too many requests", status=429, retry_after=7),
        ValidationFailed(
            "Invalid payload",
            status=400,
            key="invalid_payload",
            details="Cannot find consent with id cnst_x",
            request_id="v-400",
        ),
        ConnectionFailed("refused"),
    ],
    ids=["503", "429", "refused-400", "unreachable"],
)
def test_update_refused_or_not_reached_records_failed_entries_with_the_error(
    consents_sandbox, marketing, monkeypatch, error
):
    sandbox = consents_sandbox
    fail_put(sandbox, monkeypatch, error)

    outcome = change(sandbox, marketing, {"Newsletter": True, "SMS offers": True})

    assert isinstance(outcome, service.ConsentsNotApplied)
    assert outcome.error is error
    assert outcome.checked is False
    entries = ledger()
    assert {e.outcome for e in entries} == {"failed"}
    assert {e.request_id for e in entries} == {error.request_id or ""}
    assert all(e.error for e in entries)
    assert AuditEntry.objects.get().outcome == "failed"
    assert "consents" not in sandbox.current().system_metadata


def test_update_read_failure_sends_nothing_and_records_nothing(
    consents_sandbox, marketing, monkeypatch
):
    sandbox = consents_sandbox
    monkeypatch.setattr(
        sandbox.client, "get_customer", lambda cid: (_ for _ in ()).throw(ConnectionFailed("x"))
    )

    with pytest.raises(ConnectionFailed):
        change(sandbox, marketing, {"Newsletter": True})

    assert ledger() == []
    assert not AuditEntry.objects.exists()


def test_update_consents_gone_410_is_not_available_and_nothing_is_sent(
    consents_sandbox, marketing, settings
):
    settings.SANDBOX_CONSENTS_GONE = True

    outcome = change(consents_sandbox, marketing, {"Newsletter": True})

    assert isinstance(outcome, service.ConsentsUnavailable)
    assert outcome.error.status == 410
    assert consents_sandbox.adapter.puts() == []
    assert ledger() == []


def test_update_put_answered_410_records_failed_entries_and_is_not_available(
    consents_sandbox, marketing, monkeypatch
):
    from customers.voucherify.errors import error_from_status

    gone = error_from_status(410, {"code": 410, "key": "gone", "message": "Gone"})
    fail_put(consents_sandbox, monkeypatch, gone)

    outcome = change(consents_sandbox, marketing, {"Newsletter": True})

    assert isinstance(outcome, service.ConsentsUnavailable)
    assert [e.outcome for e in ledger()] == ["failed"]


@pytest.mark.parametrize(
    ("status", "body", "unavailable"),
    [
        (404, {"code": 404, "key": "not_found", "message": "Resource not found"}, True),
        (
            404,
            {"code": 404, "key": "not_found", "details": "Cannot find customer with id x"},
            False,
        ),
        (410, {"code": 410, "message": "Gone"}, True),
        (403, {"code": 403, "key": "feature_disabled", "message": "Feature disabled"}, True),
        (400, {"code": 400, "message": "Consents feature not enabled"}, True),
        (400, {"code": 400, "key": "invalid_payload", "message": "Invalid payload"}, False),
        (403, {"code": 403, "key": "forbidden", "message": "Forbidden"}, False),
    ],
)
def test_consents_unavailable_recognises_404_410_and_feature_disabled(status, body, unavailable):
    from customers.voucherify.errors import error_from_status

    assert service.consents_unavailable(error_from_status(status, body)) is unavailable


def test_record_holds_every_entry_and_outside_event_and_is_audited(consents_sandbox, marketing):
    sandbox = consents_sandbox
    change(sandbox, marketing, {"Newsletter": True})
    sandbox.client.update_customers_consents(sandbox.customer.id, {sandbox.id("SMS offers"): True})

    record = service.customer_consents_record(customer_id="consent-1", user=marketing)

    assert record.customer.id == sandbox.customer.id
    assert [(item.source, item.consent_name) for item in record.history] == [
        ("voucherify", "SMS offers"),
        ("dashboard", "Newsletter"),
    ]
    assert record.generated_by == marketing.username
    trail = AuditEntry.objects.filter(operation="export_consent_record").get()
    assert trail.customer_id == sandbox.customer.id
