"""The security matrix, generated from the same table of URLs as the fault matrix: every URL x
role (and a user with no role, and anonymous) x method against DESIGN.md's roles table; CSRF on
every POST (HTMX ones included); formula cells in every CSV download; ids quoted into the
API's paths; security headers; no credential in any page or log line."""

from __future__ import annotations

import csv
import io
import logging
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.matrix.cases import ALL_CASES, CASES

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ROLES = ("support", "marketing", "compliance", "admin", "none", "anonymous")
EVERYONE = frozenset({"support", "marketing", "compliance", "admin"})
# DESIGN.md's roles table (and README's), written out again here, not read from roles.py.
DESIGN = {
    "view": EVERYONE,  # search, list, profile, activities, segments, export
    "edit": frozenset({"support", "admin"}),  # create, edit
    "consents": frozenset({"marketing", "admin"}),
    "jobs": frozenset({"marketing", "admin"}),  # import CSV, bulk updates, jobs
    "privacy": frozenset({"compliance", "admin"}),  # deletion requests, audit log
}
ROW = {
    "home": "signed_in",
    "healthz": "public",
    "audit_log": "privacy",
    "customers:list": "view",
    "customers:export": "view",
    "customers:detail": "view",
    "customers:activities": "view",
    "customers:segments": "view",
    "customers:create": "edit",
    "customers:update": "edit",
    "customers:metadata_row": "edit",
    "customers:consents": "consents",
    "customers:consents_csv": "consents",
    "customers:consents_json": "consents",
}
SECRETS = {
    "SECRET_KEY": settings.SECRET_KEY,
    "app token": settings.SANDBOX_APP_TOKEN,
    "certificate key": settings.DSR_CERTIFICATE_KEY,
}


def row_of(name: str) -> str:
    return ROW.get(name) or {"jobs": "jobs", "privacy": "privacy"}[name.split(":")[0]]


def allowed(name: str, role: str) -> bool:
    row = row_of(name)
    if row == "public":
        return True
    if row == "signed_in":
        return role != "anonymous"
    return role in DESIGN[row]


def test_every_url_has_a_row_of_the_roles_table():
    assert all(row_of(name) for name in CASES)


def _first(name: str, method: str):
    return next((c for c in CASES[name] if c.method == method), CASES[name][0])


def _data(case, world, client) -> dict:
    """The case's form as `client` opens it; none once an earlier POST moved the record on
    (an import started): the POST must then be refused for what it is, not for the role."""
    try:
        return case.data(world, client) if case.data else {}
    except AssertionError:
        return {}


def _no_credentials(body: str, logs: str) -> list[str]:
    return [what for what, value in SECRETS.items() if value and (value in body or value in logs)]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_security_matrix_role_and_method_get_what_the_roles_table_says(
    world, roles, name, method, caplog
):
    caplog.set_level(logging.DEBUG)
    case = _first(name, method)
    methods = {c.method for c in CASES[name]}
    wrong = []
    for role in ROLES:
        client = roles(role)
        url = case.url(world)
        # A form's one-time token is its user's: a permitted role posts a form it opened.
        opener = role if allowed(name, role) and role != "anonymous" else case.role
        data = _data(case, world, roles(opener)) if method == "POST" else {}
        response = (
            client.generic(method, url)
            if method == "DELETE"
            else (client.post(url, data) if method == "POST" else client.get(url))
        )
        status = response.status_code
        if role == "anonymous" and row_of(name) != "public":
            expected = "sign-in"
            got = status == 302 and response["Location"].startswith("/signin/?next=")
        elif method not in methods:
            expected, got = "405", status == 405
        elif allowed(name, role):
            expected, got = "allowed", status not in (401, 403, 405)
            got = got and not (status == 302 and "/signin/" in response.get("Location", ""))
        else:
            expected, got = "403", status == 403
        if not got:
            wrong.append((role, expected, status))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if leaked := _no_credentials(body.decode(errors="replace"), caplog.text):
            wrong.append((role, "no credential", leaked))
    assert wrong == []


POSTS = [c for c in ALL_CASES if c.is_write]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("case", POSTS, ids=lambda c: c.id)
def test_security_matrix_post_without_csrf_token_is_refused(world, roles, user_for, case, htmx):
    data = {
        k: v for k, v in case.data(world, roles(case.role)).items() if k != "csrfmiddlewaretoken"
    }
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(user_for(case.role, f"csrf-{case.role}"))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    refused = checked.post(case.url(world), data, **headers)
    checked.get(reverse("customers:list"))  # the page that sets the cookie HTMX reads it from
    token = checked.cookies["csrftoken"].value
    accepted = checked.post(case.url(world), data, HTTP_X_CSRFTOKEN=token, **headers)

    assert refused.status_code == 403
    assert accepted.status_code != 403


# --- CSV downloads: formula cells --------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "  =1+1",
    "\u3000=1",
    "\uff1dcmd|' /C calc'!A0",
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
]


def _dangerous(cell: str) -> bool:
    from customers.export import FORMULA_PREFIXES

    return cell.lstrip().startswith(FORMULA_PREFIXES) or cell.startswith(FORMULA_PREFIXES)


def _cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def test_customer_export_neutralises_every_formula_cell(world, roles):
    from customers.voucherify import get_client

    for i, payload in enumerate(FORMULAS):
        get_client().create_customer(
            {"source_id": f"f-{i}", "name": payload, "metadata": {"note": payload}}
        )

    cells = _cells(roles("support").get(reverse("customers:export")))

    assert any(payload in "".join(cells) for payload in FORMULAS[:1])
    assert [cell for cell in cells if _dangerous(cell)] == []


def test_failed_rows_download_neutralises_every_formula_cell(roles, user_for):
    from customers.models import FailedRow, Job
    from customers.services import imports

    marketing = user_for("marketing", "formulas")
    text = ("source_id,name\n" + "".join(f'"{p}",{i}\n' for i, p in enumerate(FORMULAS))).encode()
    job = imports.import_upload(chunks=[text], filename="=f.csv", size=len(text), user=marketing)
    Job.objects.filter(pk=job.pk).update(state=Job.State.DONE)
    for number in range(1, len(FORMULAS) + 2):
        FailedRow.objects.create(job=job, row=number, reason="=refused", source_id="x")

    response = roles("marketing").get(reverse("jobs:failed_rows", args=[job.pk]))

    cells = _cells(response)
    assert response.status_code == 200 and len(cells) > len(FORMULAS)
    assert [cell for cell in cells if _dangerous(cell)] == []


def test_consent_record_csv_neutralises_formula_cells(world, roles):
    from tests.matrix.cases import _consents_data

    marketing = roles("marketing")
    url = reverse("customers:consents", args=[world.customer_id])
    data = {**_consents_data(world, marketing), "reason": FORMULAS[0], "ticket": FORMULAS[-1]}
    assert marketing.post(url, data).status_code == 302

    response = marketing.get(reverse("customers:consents_csv", args=[world.customer_id]))

    assert response.status_code == 200
    assert FORMULAS[0] in "".join(_cells(response))  # there, but as text
    assert [cell for cell in _cells(response) if _dangerous(cell)] == []


# --- ids quoted into the API's paths ------------------------------------------------------

IDS = ["../etc/passwd", "..", "a%2Fb", "a/b", "what?x=1", "frag#ment", "nul%00byte", "cr\rlf\nid"]


@pytest.mark.parametrize("identifier", IDS, ids=repr)
def test_ids_reach_the_api_quoted_into_one_segment(plan, world, roles, identifier):
    plan.raw_paths.clear()

    response = roles("support").get(reverse("customers:list"), {"q": identifier})

    segment = quote(identifier, safe="") if identifier != ".." else "%2E%2E"
    assert f"/v1/customers/{segment}" in plan.raw_paths, plan.raw_paths
    assert all(
        "\r" not in p and "\n" not in p and "\x00" not in p and "#" not in p.split("?")[0]
        for p in plan.raw_paths
    )
    assert response.status_code in (200, 302, 400)  # found, nothing found, refused


def test_search_for_an_id_with_a_nul_byte_is_refused_before_any_call(plan, world, roles):
    plan.raw_paths.clear()

    roles("support").get(reverse("customers:list"), {"q": "nul\x00b"})

    assert not any("nul" in path for path in plan.raw_paths)


@pytest.mark.parametrize(
    "identifier", ["a%2Fb", "what%3Fx%3D1", "frag%23ment", "..%2F..", "cr%0D%0Alf", "nul%00"]
)
def test_profile_url_ids_reach_the_api_quoted(plan, world, roles, identifier):
    from urllib.parse import unquote

    plan.raw_paths.clear()

    response = roles("support").get(f"/customers/{identifier}/")

    decoded = unquote(identifier)
    if plan.raw_paths:  # the id was routed: it went quoted, as one segment
        assert plan.raw_paths == [f"/v1/customers/{quote(decoded, safe='')}"]
    assert response.status_code in (404, 400)


# --- headers -----------------------------------------------------------------------------

GETS = [c for c in ALL_CASES if c.method == "GET" and c.name not in ("healthz",)]


def test_security_headers_on_every_page_csp_without_inline_scripts(world, roles):
    wrong = []
    for case in GETS:
        response = roles(case.role).get(case.url(world))
        csp = response.get("Content-Security-Policy", "")
        script = next((d for d in csp.split(";") if d.strip().startswith("script-src")), "")
        if "text/html" in response.get("Content-Type", "") and (
            "'self'" not in script
            or "unsafe-inline" in csp
            or "unsafe-eval" in csp
            or response.get("X-Content-Type-Options") != "nosniff"
        ):
            wrong.append((case.id, csp))
        if (
            "text/html" in response.get("Content-Type", "")
            and "<script>" in response.content.decode()
        ):
            wrong.append((case.id, "inline script"))
    assert wrong == []


def test_production_settings_send_hsts_when_configured_and_secure_cookies():
    from tests.dashboard.test_settings import PRODUCTION, start

    code = (
        "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    )
    configured = start(code, **PRODUCTION, DJANGO_HSTS_SECONDS="31536000")
    default = start(code, **PRODUCTION)

    assert configured.stdout.split() == ["31536000", "True", "True", "True"]
    assert default.stdout.split()[1:] == ["True", "True", "True"]


def test_hsts_header_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600

    response = client.get("/signin/", secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=3600")
