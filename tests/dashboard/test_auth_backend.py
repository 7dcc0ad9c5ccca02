"""The dashboard's backend grants exactly what Django's ModelBackend grants, from one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.auth import DashboardBackend
from dashboard.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it: no permission cache."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_a_role_grants_what_model_backend_grants_in_one_query(user_for, role):
    user = user_for(role)
    user.user_permissions.add(Permission.objects.get(codename="view_user"))

    loaded = fresh(user)
    with CaptureQueriesContext(connection) as queries:
        granted = DashboardBackend().get_all_permissions(loaded)

    assert len(queries) == 1
    assert granted == ModelBackend().get_all_permissions(fresh(user))
    assert granted == {f"dashboard.{name}" for name in ROLE_PERMISSIONS[role]} | {"auth.view_user"}


def test_a_user_in_two_roles_has_both_and_one_without_a_role_has_none(user_for):
    from django.contrib.auth.models import Group

    both = user_for("support")
    both.groups.add(Group.objects.get(name="compliance"))
    nobody = type(both).objects.create_user("nobody", password="x")

    assert fresh(both).has_perm("dashboard.edit_customers")
    assert fresh(both).has_perm("dashboard.delete_customers")
    assert not fresh(both).has_perm("dashboard.import_customers")
    assert DashboardBackend().get_all_permissions(fresh(nobody)) == set()


def test_inactive_users_have_no_rights_and_superusers_all(user_for):
    inactive = user_for("admin")
    inactive.is_active = False
    inactive.save()
    superuser = type(inactive).objects.create_superuser("root", password="x")

    assert DashboardBackend().get_all_permissions(fresh(inactive)) == set()
    assert not fresh(inactive).has_perm("dashboard.view_customers")
    assert DashboardBackend().get_all_permissions(fresh(superuser)) == (
        ModelBackend().get_all_permissions(fresh(superuser))
    )


def test_a_revoked_role_takes_effect_on_the_next_request(client_for, user_for):
    from django.contrib.auth.models import Group
    from django.test import Client

    user = user_for("compliance")
    browser = Client()
    browser.force_login(user)
    assert browser.get("/audit/").status_code == 200

    user.groups.remove(Group.objects.get(name="compliance"))

    assert browser.get("/audit/").status_code == 403


def test_a_page_reads_the_users_permissions_in_one_query(client_for):
    browser = client_for("compliance")

    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/audit/").status_code == 200

    permission_reads = [q["sql"] for q in queries if "auth_permission" in q["sql"]]
    assert len(permission_reads) == 1


def test_the_session_user_is_read_in_one_statement_as_model_backend_reads_it(user_for):
    from django.utils import timezone

    user = user_for("support")
    user.last_login = timezone.now()
    user.save()

    with CaptureQueriesContext(connection) as queries:
        loaded = DashboardBackend().get_user(user.pk)

    assert len(queries) == 1
    expected = ModelBackend().get_user(user.pk)
    fields = [field.attname for field in type(user)._meta.concrete_fields]
    assert [getattr(loaded, name) for name in fields] == [
        getattr(expected, name) for name in fields
    ]
    assert loaded.last_login.tzinfo is not None and loaded.is_active is True
    assert not loaded._state.adding  # a saved row: `save()` updates it
    assert loaded.get_session_auth_hash() == expected.get_session_auth_hash()


def test_a_gone_or_inactive_session_user_is_nobody(user_for):
    inactive = user_for("admin")
    inactive.is_active = False
    inactive.save()

    assert DashboardBackend().get_user(inactive.pk) is None
    assert DashboardBackend().get_user(inactive.pk + 1000) is None
