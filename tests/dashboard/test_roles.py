"""The role x URL matrix of DESIGN.md "Roles", for every customer URL and the audit log.

Pages this suite's author owns (list, export, audit log) must answer 200; for the other
pages the matrix asserts only "allowed" (any status but 403) against "forbidden" (403), so
that it holds whatever those pages answer for a customer the empty sandbox does not have.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.voucherify import get_client

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

ROLES = ("support", "marketing", "compliance", "admin")
CID = "cust_000000000000000000000001"
EVERYONE = set(ROLES)
EDITORS = {"support", "admin"}
AUDITORS = {"compliance", "admin"}

# (url name, args, roles allowed, exact status when allowed or None for "not 403")
MATRIX = [
    ("customers:list", (), EVERYONE, 200),
    ("customers:export", (), EVERYONE, 200),
    ("customers:detail", (CID,), EVERYONE, None),
    ("customers:activities", (CID,), EVERYONE, None),
    ("customers:segments", (CID,), EVERYONE, None),
    ("customers:create", (), EDITORS, None),
    ("customers:metadata_row", (), EDITORS, None),
    ("customers:update", (CID,), EDITORS, None),
    ("audit_log", (), AUDITORS, 200),
]
CASES = [
    pytest.param(name, args, role, role in allowed, status, id=f"{name}-{role}")
    for name, args, allowed, status in MATRIX
    for role in ROLES
]


@pytest.fixture(autouse=True)
def sandbox_client():
    get_client.cache_clear()
    yield
    get_client.cache_clear()


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("name", "args", "role", "allowed", "status"), CASES)
def test_roles_url_answers_as_the_design_table_says(
    client_for, name, args, role, allowed, status, fragment
):
    headers = {"HTTP_HX_REQUEST": "true"} if fragment else {}

    response = client_for(role).get(reverse(name, args=args), **headers)

    if not allowed:
        assert response.status_code == 403
        assert b"You are not allowed to do this" in response.content
    elif status is not None:
        assert response.status_code == status
    else:
        assert response.status_code != 403


@pytest.mark.parametrize(("name", "args"), [(name, args) for name, args, _, _ in MATRIX])
def test_roles_anonymous_is_sent_to_sign_in(client, name, args):
    url = reverse(name, args=args)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_roles_user_without_a_role_is_forbidden_everywhere(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x"))

    for name, args, _, _ in MATRIX:
        assert client.get(reverse(name, args=args)).status_code == 403, name
