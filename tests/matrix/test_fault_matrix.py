"""The fault matrix: every page, fragment and write of the URLconf x every way a call to
Voucherify fails, injected at the transport under the real client (tests/faults.py)."""

from __future__ import annotations

import json
import logging

import pytest
from django.conf import settings
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.faults import FAULTS, REQUEST_ID
from tests.matrix.cases import ALL_CASES, CASES, url_names

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

# fault -> (status, the title naming the cause)
SLOW = (504, "Voucherify is slow")
UNREACHABLE = (503, "Voucherify is unreachable")
ERROR = (502, "Voucherify had a problem")
BUSY = (429, "Voucherify is busy")
CONFIGURATION = (502, "Configuration error")
CAUSE = {
    "connect_timeout": UNREACHABLE,
    "refused": UNREACHABLE,
    "read_timeout": SLOW,
    "late_answer": SLOW,
    "500": ERROR,
    "502": ERROR,
    "503": ERROR,
    "504": SLOW,
    "429": BUSY,
    "malformed_json": ERROR,
    "html_200": ERROR,
    "401": CONFIGURATION,
}
HEALTH = {  # healthz answers machines: the cause as a word
    "connect_timeout": "unreachable",
    "refused": "unreachable",
    "read_timeout": "slow",
    "late_answer": "slow",
    "504": "slow",
    "429": "busy",
    "401": "configuration",
}
NOT_SENT = {"connect_timeout", "refused", "503", "429", "401"}  # a write surely not applied
WITH_REQUEST_ID = {"500", "401"}
SECRETS = [settings.SECRET_KEY, settings.SANDBOX_APP_TOKEN, settings.DSR_CERTIFICATE_KEY]


def test_every_dashboard_url_has_a_case():
    assert url_names() == set(CASES), "give every new URL its cases in tests/matrix/cases.py"


def _request(roles, world, case):
    client = roles(case.role)
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    url = case.url(world)
    if case.method == "GET":
        return client.get(url, **headers)
    return client.post(url, case.data(world, client), **headers)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_matrix_case_without_fault_answers_its_ok_status(plan, world, roles, case):
    response = _request(roles, world, case)

    assert response.status_code in case.ok, response.content[:600]
    assert bool(plan.calls) == case.api, plan.calls


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_fault_matrix(plan, world, roles, case, fault, caplog):
    caplog.set_level(logging.DEBUG)
    data = case.data(world, roles(case.role)) if case.is_write else None
    plan.fault, plan.method = fault, case.write_method
    client = roles(case.role)
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    url = case.url(world)
    response = client.get(url, **headers) if data is None else client.post(url, data, **headers)

    body = response.content.decode() if not response.streaming else ""
    logs = caplog.text
    assert all(secret not in body and secret not in logs for secret in SECRETS)
    assert "Traceback" not in body and response.status_code != 500
    if not case.api:
        assert response.status_code in case.ok
        return
    if case.name == "healthz":
        answer = json.loads(body)
        assert answer["status"] == "error" and answer["voucherify"] == HEALTH.get(
            fault.name, "error"
        )
        return
    sends_write = case.is_write and case.write_method is not None
    if sends_write and fault.name == "late_answer":
        assert response.status_code in case.ok, body[:600]  # applied, read back: saved
        return
    status, title = CAUSE[fault.name]
    assert response.status_code == (200 if case.degraded else status), body[:800]
    text = HTMLParser(body).text()
    assert title in text
    if case.htmx:
        assert "<html" not in body and text.strip()
    if fault.name in WITH_REQUEST_ID:
        assert REQUEST_ID in text
    if fault.name == "429" and not case.degraded:
        assert response["Retry-After"] == "7"
    if case.is_write:
        if fault.name in NOT_SENT or not sends_write:  # a read failed: nothing was sent
            assert "Nothing was saved" in text
        else:
            assert "may have saved" in text
    for value in case.kept:
        assert value in body


SENDING_WRITES = [c for c in ALL_CASES if c.is_write and c.write_method]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
@pytest.mark.parametrize("case", SENDING_WRITES, ids=lambda c: c.id)
def test_fault_matrix_write_whose_first_read_fails_says_nothing_was_saved(
    plan, world, roles, case, fault
):
    """Every call fails, so the reads a write makes first (the customer as it is now, the
    consents' wording) fail before anything is sent."""
    client = roles(case.role)
    data = case.data(world, client)
    plan.fault = fault
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}

    response = client.post(case.url(world), data, **headers)

    status, title = CAUSE[fault.name]
    text = HTMLParser(response.content.decode()).text()
    assert response.status_code == status, text[:800]
    assert title in text and "Nothing was saved" in text
    assert all(method == "GET" for method, _ in plan.calls), plan.calls
    for value in case.kept:
        assert value in response.content.decode()
