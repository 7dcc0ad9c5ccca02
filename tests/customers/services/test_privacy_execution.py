"""Executing a request: once, with the receipt, the verification, a failure and its retry,
an unknown outcome settled by re-reading, a receipt that is not final yet."""

from __future__ import annotations

import datetime

import pytest

from customers.models.privacy import DataSubjectRequest, SuppressedIdentifier
from customers.services import certificates, privacy
from customers.services.suppression import suppressed_identifiers
from customers.voucherify import (
    ConnectionFailed,
    NotFound,
    RateLimited,
    ServerError,
    Timeout,
    ValidationFailed,
    get_client,
)
from customers.voucherify.resources import PermanentDeletion
from dashboard.erasure import keyed_hash
from dashboard.models import AuditEntry
from sandbox.models import PermanentDeletion as SandboxReceipt
from tests.customers.pages_support import raising

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

Status = DataSubjectRequest.Status
EMAIL = "grace.hopper@example.test"


def execute(request, user, confirmation=EMAIL):
    return privacy.deletion_request_execute(
        request_id=request.pk, confirmation=confirmation, user=user
    )


def gone(identifier):
    try:
        get_client().get_customer(identifier)
    except NotFound:
        return True
    return False


def test_execute_erasure_erases_records_receipt_verifies_and_certifies(
    grace, walk, staff, scripted
):
    request = walk(grace)

    outcome = execute(request, staff["a"])

    assert isinstance(outcome, privacy.Executed)
    done = outcome.request
    assert done.status == Status.DONE
    assert scripted.calls["customer_permanently_deletion"] == 1
    assert gone(grace.id)
    receipt = SandboxReceipt.objects.using("sandbox").get()
    assert done.deletion_id == receipt.id
    assert done.deletion_id.startswith("del_")
    assert done.receipt_status == "DONE"
    assert done.receipt_counts["customer"] == 1
    assert done.applied_how == "receipt"
    assert done.verification["by_id"] == "not found (404)"
    assert done.verification["by_source_id"] == "not found (404)"
    assert done.verification["by_email"] == "no match"
    assert done.verified_at is not None
    assert done.done_at is not None
    assert done.loss["loyalty_points"] == 0
    assert certificates.certificate_verify(done.certificate).valid
    assert done.customer_id == keyed_hash(grace.id)
    assert done.erased


def test_execute_erasure_puts_identifiers_on_the_suppression_list(grace, walk, staff):
    execute(walk(grace), staff["a"])

    assert SuppressedIdentifier.objects.count() == 3
    assert suppressed_identifiers(source_id="crm-grace") == ["source_id"]
    assert suppressed_identifiers(email="Grace.Hopper@Example.test") == ["email"]
    assert suppressed_identifiers(phone="+12025550143") == ["phone"]
    assert suppressed_identifiers(source_id="crm-other", email="other@example.test") == []


def test_execute_erasure_audit_shows_every_step_with_its_actor(grace, walk, staff):
    request = walk(grace)
    execute(request, staff["a"])

    steps = list(
        AuditEntry.objects.order_by("created_at", "id").values_list("operation", "username")
    )

    assert steps == [
        ("deletion_request_open", staff["a"].username),
        ("deletion_request_verify_identity", staff["a"].username),
        ("deletion_request_approve", staff["b"].username),
        ("customer_permanently_deletion", staff["a"].username),
        ("deletion_request_verify", staff["a"].username),
        ("deletion_request_done", staff["a"].username),
    ]
    assert set(AuditEntry.objects.values_list("customer_id", flat=True)) == {keyed_hash(grace.id)}
    assert not AuditEntry.objects.filter(scrubbed_at__isnull=True).exists()


def test_execute_confirmation_must_be_email_or_source_id_exactly(grace, walk, staff, scripted):
    request = walk(grace)

    for typed in ("", "Grace Hopper", "GRACE.HOPPER@example.test", grace.id, "crm-grac"):
        outcome = execute(request, staff["a"], confirmation=typed)
        assert isinstance(outcome, privacy.ConfirmationMismatch), typed

    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert scripted.calls["customer_permanently_deletion"] == 0
    assert isinstance(execute(request, staff["a"], confirmation="crm-grace"), privacy.Executed)


def test_execute_customer_without_email_or_source_id_confirms_with_id(db, walk, staff):
    bare = get_client().create_customer({"name": "No Handle"})
    request = walk(bare)

    outcome = execute(request, staff["a"], confirmation=bare.id)

    assert isinstance(outcome, privacy.Executed)


def test_execute_deletion_deletes_verifies_and_certifies_without_scrub(
    grace, walk, staff, scripted
):
    request = walk(grace, "deletion")

    outcome = execute(request, staff["a"], confirmation="crm-grace")

    assert isinstance(outcome, privacy.Executed)
    done = outcome.request
    assert scripted.calls["delete_customer"] == 1
    assert scripted.calls["customer_permanently_deletion"] == 0
    assert gone(grace.id) and gone("crm-grace")
    assert done.deletion_id == ""
    assert done.applied_how == "204 No Content"
    assert done.verification["gone"] is True
    assert not done.erased
    assert done.customer_id == grace.id  # a deletion is not an erasure: nothing is scrubbed
    assert not SuppressedIdentifier.objects.exists()
    body = done.certificate["certificate"]
    assert body["request"]["kind"] == "deletion"
    assert body["erased_identifiers"]["customer_id"] == keyed_hash(grace.id)
    assert AuditEntry.objects.filter(operation="delete_customer", outcome="success").count() == 1


@pytest.mark.parametrize(
    "error",
    [
        ServerError("Service Unavailable", status=503),
        RateLimited("Too many requests", status=429, retry_after=5),
        ValidationFailed("Invalid", status=400, key="invalid_payload", request_id="v-1"),
        ConnectionFailed("Could not reach Voucherify"),
    ],
)
def test_execute_failed_call_is_failed_with_its_error_then_retry_applies(
    grace, walk, staff, scripted, error
):
    request = walk(grace)
    scripted.script["customer_permanently_deletion"] = raising(error)

    failed = execute(request, staff["a"])

    assert isinstance(failed, privacy.Failed)
    assert failed.request.status == Status.FAILED
    assert failed.request.last_error
    assert "Nothing was applied" in failed.message
    assert not gone(grace.id)
    assert AuditEntry.objects.get(operation="customer_permanently_deletion").outcome == "failed"

    del scripted.script["customer_permanently_deletion"]
    retried = execute(failed.request, staff["b"])

    assert isinstance(retried, privacy.Executed)
    assert retried.request.attempts == 2
    assert retried.request.executed_by_name == staff["b"].username
    assert scripted.calls["customer_permanently_deletion"] == 2
    assert gone(grace.id)


def test_execute_failed_call_message_keeps_status_and_request_id(grace, walk, staff, scripted):
    request = walk(grace)
    scripted.script["customer_permanently_deletion"] = raising(
        ValidationFailed("Cannot erase grace.hopper@example.test", status=400, request_id="v-9")
    )

    failed = execute(request, staff["a"])

    assert failed.request.last_error == "Voucherify refused the request (400)"
    assert failed.request.last_error_request_id == "v-9"
    assert EMAIL not in failed.request.last_error


@pytest.mark.parametrize(
    ("kind", "operation", "confirmation"),
    [
        ("erasure", "customer_permanently_deletion", EMAIL),
        ("deletion", "delete_customer", "crm-grace"),
    ],
)
def test_execute_first_read_failing_sends_nothing_and_audits_its_request_id(
    grace, walk, staff, scripted, kind, operation, confirmation
):
    request = walk(grace, kind)
    scripted.script["get_customer"] = raising(
        ServerError("Internal error", status=500, request_id="v-read-7")
    )

    with pytest.raises(ServerError):
        execute(request, staff["a"], confirmation=confirmation)

    assert scripted.calls[operation] == 0
    request.refresh_from_db()
    assert request.status == Status.APPROVED  # nothing was sent: it can be executed again
    entry = AuditEntry.objects.get(operation=operation)
    assert (entry.outcome, entry.error, entry.request_id) == ("failed", "500", "v-read-7")
    assert (entry.username, entry.customer_id) == (staff["a"].username, grace.id)
    assert entry.changes["stopped"]["new"] == "reading the customer"


def test_execute_timeout_applied_is_settled_by_rereading_as_done(grace, walk, staff, scripted):
    request = walk(grace)
    real = scripted.real

    def applied_then_silent(customer_id):
        real.customer_permanently_deletion(customer_id)
        raise Timeout("Voucherify did not answer in time")

    scripted.script["customer_permanently_deletion"] = applied_then_silent

    outcome = execute(request, staff["a"])

    assert isinstance(outcome, privacy.Executed)
    assert scripted.calls["customer_permanently_deletion"] == 1
    assert outcome.request.deletion_id == ""
    assert outcome.request.applied_how.startswith("re-read after no answer")
    entry = AuditEntry.objects.get(operation="customer_permanently_deletion")
    assert entry.outcome == "success"
    assert "applied (re-read: the customer is gone)" in entry.error


def test_execute_timeout_not_applied_is_failed_after_reread_and_retry_sends_once_more(
    grace, walk, staff, scripted
):
    request = walk(grace)
    scripted.script["customer_permanently_deletion"] = raising(Timeout("no answer"))

    outcome = execute(request, staff["a"])

    assert isinstance(outcome, privacy.Failed)
    assert "still there, so not applied" in outcome.request.last_error
    entry = AuditEntry.objects.get(operation="customer_permanently_deletion")
    assert entry.outcome == "failed"
    assert "not applied (re-read: the customer is still there)" in entry.error

    del scripted.script["customer_permanently_deletion"]
    retried = execute(outcome.request, staff["a"])

    assert isinstance(retried, privacy.Executed)
    assert scripted.calls["customer_permanently_deletion"] == 2


def test_execute_timeout_that_lands_after_the_reread_is_done_on_retry(grace, walk, staff, scripted):
    request = walk(grace)
    scripted.script["customer_permanently_deletion"] = raising(Timeout("no answer"))
    assert isinstance(execute(request, staff["a"]), privacy.Failed)
    scripted.real.customer_permanently_deletion(grace.id)  # the lost call lands late
    del scripted.script["customer_permanently_deletion"]

    retried = execute(request, staff["a"])

    assert isinstance(retried, privacy.Executed)
    assert retried.request.applied_how.startswith("not found on retry")
    assert SandboxReceipt.objects.using("sandbox").count() == 1


def test_execute_unknown_outcome_blocks_execution_until_resolved(grace, walk, staff, scripted):
    request = walk(grace)
    real = scripted.real

    def applied_then_silent(customer_id):
        real.customer_permanently_deletion(customer_id)
        scripted.script["get_customer"] = raising(ConnectionFailed("down"))  # the re-read too
        raise Timeout("no answer")

    scripted.script["customer_permanently_deletion"] = applied_then_silent
    unknown = execute(request, staff["a"], confirmation="crm-grace")

    assert isinstance(unknown, privacy.Unknown)
    assert unknown.request.status == Status.EXECUTING
    assert unknown.request.phase == DataSubjectRequest.Phase.UNKNOWN
    assert "does not know" in unknown.message
    page = privacy.deletion_request_get(request_id=request.pk, user=staff["b"])
    assert page.resolvable
    again = execute(request, staff["b"])
    assert isinstance(again, privacy.AlreadyRunning)
    assert scripted.calls["customer_permanently_deletion"] == 1

    del scripted.script["get_customer"]
    resolved = privacy.deletion_request_resolve(request_id=request.pk, user=staff["b"])

    assert isinstance(resolved, privacy.Executed)
    assert scripted.calls["customer_permanently_deletion"] == 1
    assert AuditEntry.objects.filter(operation="deletion_request_resolve").count() == 1


def test_execute_unknown_outcome_is_settled_by_the_page_poll(grace, walk, staff, scripted):
    request = walk(grace)

    def bad_gateway(customer_id):
        scripted.script["get_customer"] = raising(ConnectionFailed("down"))
        raise ServerError("Bad Gateway", status=502)

    scripted.script["customer_permanently_deletion"] = bad_gateway
    unknown = execute(request, staff["a"], confirmation="crm-grace")
    assert isinstance(unknown, privacy.Unknown)
    del scripted.script["get_customer"]

    page = privacy.deletion_request_poll(
        request_id=request.pk, seen_version=unknown.request.version, user=staff["a"]
    )

    assert page.request.status == Status.FAILED
    assert scripted.calls["customer_permanently_deletion"] == 1


def test_execute_receipt_not_final_is_polled_until_the_customer_is_gone(
    grace, walk, staff, scripted
):
    request = walk(grace)
    scripted.script["customer_permanently_deletion"] = lambda customer_id: PermanentDeletion(
        id="del_000000000000000000000001",
        status="IN_PROGRESS",
        data_json={"customer": 1},
        related_object_id=customer_id,
    )

    outcome = execute(request, staff["a"])

    assert isinstance(outcome, privacy.Pending)
    pending = outcome.request
    assert pending.status == Status.EXECUTING
    assert pending.receipt_status == "IN_PROGRESS"
    assert pending.verification["by_id"] == "found"
    unchanged = privacy.deletion_request_poll(
        request_id=request.pk, seen_version=pending.version, user=staff["a"]
    )
    assert unchanged is None

    scripted.real.customer_permanently_deletion(grace.id)  # Voucherify finishes
    page = privacy.deletion_request_poll(
        request_id=request.pk, seen_version=pending.version, user=staff["a"]
    )

    assert page.request.status == Status.DONE
    assert page.request.deletion_id == "del_000000000000000000000001"
    assert page.request.verification["gone"] is True
    assert not page.polling
    assert scripted.calls["customer_permanently_deletion"] == 1


def test_execute_receipt_failed_is_failed_and_retryable(grace, walk, staff, scripted):
    request = walk(grace)
    scripted.script["customer_permanently_deletion"] = lambda customer_id: PermanentDeletion(
        id="del_000000000000000000000002", status="FAILED"
    )

    outcome = execute(request, staff["a"])

    assert isinstance(outcome, privacy.Failed)
    assert outcome.request.last_error == "Voucherify reported the erasure as FAILED"


def test_execute_process_died_mid_call_is_resolvable_by_rereading(grace, walk, staff, settings):
    request = walk(grace)
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=Status.EXECUTING, phase="sending", execution_started_at=long_ago, attempts=1
    )

    outcome = privacy.deletion_request_resolve(request_id=request.pk, user=staff["b"])

    assert isinstance(outcome, privacy.Failed)
    assert outcome.request.status == Status.FAILED
    assert not gone(grace.id)


def test_execute_in_flight_elsewhere_is_not_resolvable_nor_sent_again(grace, walk, staff, scripted):
    request = walk(grace)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status=Status.EXECUTING,
        phase="sending",
        execution_started_at=datetime.datetime.now(datetime.UTC),
    )

    assert isinstance(execute(request, staff["a"]), privacy.AlreadyRunning)
    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_resolve(request_id=request.pk, user=staff["a"])
    assert scripted.calls["customer_permanently_deletion"] == 0


@pytest.mark.parametrize("state", ["received", "identity_verified"])
def test_execute_before_approval_refused(grace, walk, staff, scripted, state):
    request = walk(grace, to=state)

    with pytest.raises(privacy.StepRefused):
        execute(request, staff["a"])

    assert scripted.calls["customer_permanently_deletion"] == 0


def test_execute_done_request_again_refused_nothing_sent(grace, walk, staff, scripted):
    request = walk(grace)
    execute(request, staff["a"])

    with pytest.raises(privacy.StepRefused):
        execute(request, staff["b"])

    assert scripted.calls["customer_permanently_deletion"] == 1


def test_get_page_shows_what_would_be_lost(db, walk, staff):
    rich = get_client().create_customer({"source_id": "crm-rich", "email": "rich@example.test"})
    from sandbox.models import Customer as SandboxCustomer

    SandboxCustomer.objects.using("sandbox").filter(id=rich.id).update(
        loyalty={"points": 420, "referred_customers": 2, "campaigns": {"Club": {"points": 420}}},
        summary={
            "orders": {"total_count": 3, "total_amount": 12000},
            "redemptions": {"total_redeemed": 5, "total_succeeded": 4},
        },
        referrals={"total": 1, "campaigns": []},
    )
    request = walk(rich)

    page = privacy.deletion_request_get(request_id=request.pk, user=staff["a"])

    assert page.loss.loyalty_points == 420
    assert page.loss.loyalty_campaigns == (("Club", 420),)
    assert (page.loss.orders, page.loss.orders_amount) == (3, 12000)
    assert (page.loss.redemptions, page.loss.redemptions_succeeded) == (5, 4)
    assert page.loss.referrals == 1
    assert page.loss.referred_customers == 2
    assert page.loss.segments == ()
    assert not page.may_approve  # approved already: the flag only matters before


def test_access_request_export_holds_profile_activity_segments_consents_and_audit(
    grace, walk, staff
):
    request = walk(grace, "access")

    outcome = execute(request, staff["a"], confirmation="")

    assert isinstance(outcome, privacy.Executed)
    export = privacy.deletion_request_export(request_id=request.pk, user=staff["a"])
    assert export["profile"]["email"] == EMAIL
    assert export["profile"]["address"]["city"] == "Arlington"
    assert [a["type"] for a in export["activities"]] == ["customer.created"]
    assert isinstance(export["segments"], list)
    assert export["consents"]["unsubscribed_from_all"] is False
    assert export["consents"]["changes"] == []
    operations = [e["operation"] for e in export["dashboard_audit_entries"]]
    assert operations[:3] == [
        "deletion_request_open",
        "deletion_request_verify_identity",
        "deletion_request_approve",
    ]
    assert export["data_subject_requests"][0]["request"] == request.label
    assert not gone(grace.id)  # nothing is written to Voucherify
    assert not AuditEntry.objects.filter(operation="deletion_request_export_download").exists()

    privacy.deletion_request_export(request_id=request.pk, user=staff["b"], download=True)
    download = AuditEntry.objects.get(operation="deletion_request_export_download")
    assert download.username == staff["b"].username


def test_access_request_export_read_failure_is_failed_and_retryable(grace, walk, staff, scripted):
    request = walk(grace, "access")
    scripted.script["list_customer_segments"] = raising(ServerError("Bad", status=503))

    failed = execute(request, staff["a"])
    del scripted.script["list_customer_segments"]
    done = execute(request, staff["a"])

    assert isinstance(failed, privacy.Failed)
    assert isinstance(done, privacy.Executed)


def test_erasure_after_access_drops_the_export(grace, walk, staff):
    access = walk(grace, "access")
    execute(access, staff["a"])

    execute(walk(grace, "erasure"), staff["a"])

    access.refresh_from_db()
    assert access.export is None
    assert access.erased
    with pytest.raises(privacy.StepRefused):
        privacy.deletion_request_export(request_id=access.pk, user=staff["a"])


def test_execute_customer_unreadable_before_sending_raises_and_sends_nothing(
    grace, walk, staff, scripted
):
    request = walk(grace)
    scripted.script["get_customer"] = raising(ConnectionFailed("down"))

    with pytest.raises(ConnectionFailed):
        execute(request, staff["a"])

    request.refresh_from_db()
    assert request.status == Status.APPROVED
    assert scripted.calls["customer_permanently_deletion"] == 0


def test_access_request_export_holds_the_consent_record(consents_sandbox, user_for, staff):
    from customers.models.consents import wording_fingerprint
    from customers.services import consents

    sandbox = consents_sandbox
    newsletter = sandbox.id("Newsletter")
    marketing = user_for("marketing")
    consents.customer_consents_update(
        customer_id=sandbox.customer.id,
        changes={newsletter: True},
        method="email",
        reason="Asked by email for the newsletter",
        shown={newsletter: wording_fingerprint("Newsletter", "Monthly newsletter by email")},
        user=marketing,
    )
    request = privacy.deletion_request_open(
        customer=sandbox.customer.id,
        kind="access",
        ticket="HD-8",
        received_on=datetime.date.today(),
        user=staff["a"],
    )
    privacy.deletion_request_verify_identity(
        request_id=request.pk, method="account_signin", note="", user=staff["a"]
    )
    privacy.deletion_request_approve(request_id=request.pk, user=staff["b"])

    execute(request, staff["a"], confirmation="")

    record = privacy.deletion_request_export(request_id=request.pk, user=staff["a"])["consents"]
    (granted,) = record["changes"]
    assert (granted["consent_name"], granted["new_state"], granted["method"]) == (
        "Newsletter",
        "granted",
        "email",
    )
    assert granted["staff_user"] == marketing.username
    assert granted["reason"] == "Asked by email for the newsletter"
    current = {c["consent_name"]: c["state"] for c in record["current"]}
    assert current["Newsletter"] == "granted"
