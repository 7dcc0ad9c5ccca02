from __future__ import annotations

import pytest

# Consent definitions, a recording sandbox client and canned evidence (the consents tests).
pytest_plugins = ["tests.customers.consent_fixtures"]

# Tests that touch the sandbox's data need both aliases:
#     pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, always started after the test databases: one started
    before them (a file of tests that asks for it first) hands its request threads the test's
    own SQLite connection objects, and a thread closing one while the test flushes the
    database crashes the interpreter."""
    return live_server


@pytest.fixture
def user_for(db, django_user_model):
    """`user_for("support")`: a new user in that role's group (`support-1`, `support-2`, ...)."""
    from django.contrib.auth.models import Group, Permission

    from dashboard.roles import sync_roles

    # Transactional tests flush the tables the roles migration filled; put the roles back.
    sync_roles(Group, Permission)
    made: list[str] = []

    def make(role: str, username: str | None = None):
        made.append(role)
        username = username or f"{role}-{made.count(role)}"
        user = django_user_model.objects.create_user(username, password="x")
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def client_for(user_for):
    """`client_for("compliance")`: a test client signed in as a user of that role."""
    from django.test import Client

    def make(role: str):
        client = Client()
        client.force_login(user_for(role))
        return client

    return make


@pytest.fixture
def fake_client(monkeypatch):
    """The one seam: every `get_client()` caller (views, services, tasks) gets this
    `FakeClient` (tests/customers/pages_support.py), which answers canned values and
    records what was sent."""
    from tests.customers.pages_support import FakeClient

    client = FakeClient()
    monkeypatch.setattr("customers.voucherify.override", client)
    return client
