"""Deletion certificates: they verify, and every tampered field is named (the command too)."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from customers.services import certificates, privacy

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def certificate(grace, walk, staff):
    request = walk(grace)
    privacy.deletion_request_execute(
        request_id=request.pk, confirmation="crm-grace", user=staff["a"]
    )
    request.refresh_from_db()
    return request.certificate


def run_command(document, tmp_path) -> tuple[str, str]:
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_certificate", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_certificate_states_what_was_done_without_personal_data(certificate, grace, staff):
    body = certificate["certificate"]
    text = json.dumps(certificate)

    assert body["request"]["kind"] == "erasure"
    assert body["request"]["ticket"] == "HD-1001"
    assert body["voucherify"]["deletion_id"].startswith("del_")
    assert body["voucherify"]["status"] == "DONE"
    assert body["voucherify"]["counts"]["customer"] == 1
    assert set(body["timeline"]) == {
        "received",
        "opened",
        "identity_verified",
        "approved",
        "executing",
        "verified",
        "done",
    }
    assert all(body["timeline"].values())
    assert body["people"]["requested_by"] == staff["a"].username
    assert body["people"]["approved_by"] == staff["b"].username
    assert body["verification"]["gone"] is True
    hashes = body["erased_identifiers"]
    assert all(hashes[name].startswith("hmac:") for name in ("customer_id", "email", "phone"))
    assert body["dashboard_records"]["suppressed"] == ["source_id", "email", "phone"]
    for personal in (grace.id, "crm-grace", "Grace", "grace.hopper", "+1 202 555 0143"):
        assert personal not in text
    assert certificate["signature"]["key_id"] == certificates.key_id()


def test_certificate_verify_untouched_is_valid(certificate):
    check = certificates.certificate_verify(certificate)

    assert check.valid
    assert check.tampered == ()
    assert check.request.startswith("DSR-")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("voucherify", "deletion_id"), "del_forged000000000000000"),
        (("voucherify", "counts", "customer"), 0),
        (("timeline", "done"), "2020-01-01T00:00:00+00:00"),
        (("people", "approved_by"), "someone-else"),
        (("verification", "by_email"), "found"),
        (("erased_identifiers", "email"), "hmac:0000"),
        (("request", "ticket"), "HD-9999"),
    ],
)
def test_certificate_verify_names_the_tampered_field(certificate, path, value):
    forged = copy.deepcopy(certificate)
    node = forged["certificate"]
    for name in path[:-1]:
        node = node[name]
    node[path[-1]] = value

    check = certificates.certificate_verify(forged)

    assert not check.valid
    assert check.tampered == (".".join(path),)


def test_certificate_verify_names_added_and_removed_fields(certificate):
    forged = copy.deepcopy(certificate)
    forged["certificate"]["voucherify"]["note"] = "all fine"
    del forged["certificate"]["people"]["executed_by"]

    check = certificates.certificate_verify(forged)

    assert check.tampered == ("people.executed_by (removed)", "voucherify.note (added)")


def test_certificate_verify_other_key_or_not_a_certificate_is_invalid(certificate, settings):
    settings.DSR_CERTIFICATE_KEY = "another-key"

    other_key = certificates.certificate_verify(certificate)
    nonsense = certificates.certificate_verify({"hello": "world"})

    assert not other_key.valid
    assert "Signed with another key" in other_key.problems[0]
    assert not nonsense.valid
    assert nonsense.problems == ("This is not a deletion certificate.",)


def test_certificate_verify_forged_field_signature_is_caught_by_the_document_signature(
    certificate,
):
    forged = copy.deepcopy(certificate)
    forged["signature"]["document"] = "0" * 64

    check = certificates.certificate_verify(forged)

    assert not check.valid
    assert check.problems == ("The signature of the whole document does not match.",)


def test_verify_certificate_command_valid_prints_valid(certificate, tmp_path):
    out, err = run_command(certificate, tmp_path)

    assert "valid, the signature matches" in out
    assert err == ""


def test_verify_certificate_command_names_each_tampered_field_and_fails(certificate, tmp_path):
    forged = copy.deepcopy(certificate)
    forged["certificate"]["voucherify"]["status"] = "FAILED"
    forged["certificate"]["people"]["approved_by"] = "nobody"

    with pytest.raises(CommandError, match="NOT valid \\(2 fields tampered with\\)"):
        run_command(forged, tmp_path)


def test_verify_certificate_command_lists_fields_on_stderr(certificate, tmp_path, capsys):
    forged = copy.deepcopy(certificate)
    forged["certificate"]["voucherify"]["status"] = "FAILED"
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("verify_certificate", str(path), stderr=err)

    assert err.getvalue().splitlines() == ["tampered: voucherify.status"]


def test_verify_certificate_command_unreadable_file_fails_clearly(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(CommandError, match=r"Cannot read .* as JSON"):
        call_command("verify_certificate", str(path))
