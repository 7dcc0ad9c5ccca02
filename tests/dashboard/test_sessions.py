"""Sessions are Django's database sessions; only the read is one plain SQL statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored(data: dict) -> str:
    session = SessionStore()
    session.update(data)
    session.save()
    return session.session_key


def test_a_stored_session_is_read_back_in_one_statement():
    key = stored({"who": "agent", "n": 3})

    with CaptureQueriesContext(connection) as queries:
        session = SessionStore(key)
        assert session["who"] == "agent" and session["n"] == 3

    assert len(queries) == 1
    assert session.session_key == key


def test_an_expired_or_unknown_session_starts_empty_and_without_its_key():
    key = stored({"who": "agent"})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))

    for lost in (key, "nosuchsessionkeyatall1234"):
        session = SessionStore(lost)
        assert dict(session.items()) == {}
        assert session.session_key is None  # a new key is made on save, never the old one


def test_signing_in_and_out_goes_through_the_store(client, user_for):
    user = user_for("support")
    signed_in = client.post("/signin/", {"username": user.username, "password": "x"})
    assert signed_in.status_code == 302
    assert client.get("/customers/new/").status_code == 200  # signed in: the form, no API call
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()

    client.post("/signout/")

    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/customers/new/").status_code == 302  # to the sign-in page
