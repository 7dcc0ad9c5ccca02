from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from dashboard.models import AuditEntry

pytestmark = pytest.mark.django_db
ROLES = ("support", "marketing", "compliance", "admin")


def test_create_demo_users_sandbox_creates_one_user_per_role_in_its_group():
    call_command("create_demo_users", stdout=None)

    for role in ROLES:
        user = authenticate(
            RequestFactory().post("/signin/"), username=role, password=f"{role}-demo-pass"
        )
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert not user.is_superuser


def test_create_demo_users_admin_is_staff_who_manages_accounts_others_are_not():
    call_command("create_demo_users")
    User = get_user_model()

    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.has_perms(["auth.add_user", "auth.change_user", "auth.view_group"])
    assert admin.has_perm("dashboard.view_audit_log")
    assert not User.objects.get(username="support").is_staff
    assert not User.objects.get(username="support").has_perm("auth.change_user")


def test_create_demo_users_run_twice_is_idempotent():
    call_command("create_demo_users")
    User = get_user_model()
    User.objects.filter(username="support").update(is_active=False)

    call_command("create_demo_users")

    assert User.objects.filter(username__in=ROLES).count() == 4
    assert (
        authenticate(
            RequestFactory().post("/signin/"), username="support", password="support-demo-pass"
        )
        is not None
    )


def test_create_demo_users_real_voucherify_refuses_and_creates_nobody(settings):
    settings.VOUCHERIFY_USE_SANDBOX = False

    with pytest.raises(CommandError, match="real Voucherify"):
        call_command("create_demo_users")

    assert not get_user_model().objects.exists()


def test_create_demo_users_if_sandbox_on_real_voucherify_succeeds_creating_nobody(settings):
    settings.VOUCHERIFY_USE_SANDBOX = False
    out = StringIO()

    call_command("create_demo_users", "--if-sandbox", stdout=out)

    assert "no demo users" in out.getvalue()
    assert not get_user_model().objects.exists()


def test_admin_audit_entry_is_read_only_for_a_superuser(admin_client):
    entry = AuditEntry.objects.create(username="sam", operation="get_customer", outcome="success")

    assert admin_client.get("/admin/dashboard/auditentry/").status_code == 200
    assert admin_client.get("/admin/dashboard/auditentry/add/").status_code == 403
    change = admin_client.get(f"/admin/dashboard/auditentry/{entry.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    delete = admin_client.post(f"/admin/dashboard/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_demo_admin_can_manage_users_in_django_admin(client):
    call_command("create_demo_users")
    client.login(
        request=RequestFactory().post("/signin/"), username="admin", password="admin-demo-pass"
    )

    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get("/admin/auth/user/add/").status_code == 200


def test_create_demo_users_adds_a_second_compliance_officer_for_four_eyes():
    call_command("create_demo_users")

    second = authenticate(
        RequestFactory().post("/signin/"), username="compliance2", password="compliance2-demo-pass"
    )
    assert second is not None
    assert list(second.groups.values_list("name", flat=True)) == ["compliance"]
