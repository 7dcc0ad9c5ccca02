"""Accounts that resist: sign-in throttling (django-axes), no privilege escalation in /admin/,
and /admin/ as the dashboard's 403 page for signed-in users without admin rights."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from selectolax.lexbor import LexborHTMLParser as HTMLParser

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _user(user_for, role="support", username="agent"):
    user = user_for(role, username)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, username, password, address="10.0.0.1"):
    return client.post(
        "/signin/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_signin_repeated_wrong_passwords_for_one_user_locks_it_out(user_for, settings):
    _user(user_for)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "agent", "wrong").status_code == 200

    locked = _sign_in(client, "agent", "wrong")
    assert locked.status_code == 429
    assert "Sign-in is locked for now" in locked.text
    assert "15 minutes" in locked.text

    # The right password from another address is refused too: the username is locked.
    right = _sign_in(Client(), "agent", PASSWORD, address="10.0.0.2")
    assert right.status_code == 429
    assert "_auth_user_id" not in Client().session


def test_signin_wrong_passwords_for_many_users_from_one_address_lock_the_address(
    user_for, settings
):
    _user(user_for)
    client = Client()
    for number in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"guess-{number}", "wrong", address="10.0.0.9")

    assert _sign_in(client, "agent", PASSWORD, address="10.0.0.9").status_code == 429
    # The account itself is not locked: from elsewhere it signs in.
    elsewhere = _sign_in(Client(), "agent", PASSWORD, address="10.0.0.3")
    assert elsewhere.status_code == 302


def test_signin_under_the_limit_then_right_password_signs_in_and_resets(user_for, settings):
    _user(user_for)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "agent", "wrong")

    assert _sign_in(client, "agent", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="agent").exists()


def test_signin_lockout_lifted_by_admin_in_access_attempts_signs_in_again(user_for, settings):
    _user(user_for)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), "agent", "wrong")
    call_command("create_demo_users")
    admin = Client()
    admin.force_login(_admin_user())
    attempt = AccessAttempt.objects.get(username="agent")

    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert _sign_in(Client(), "agent", PASSWORD).status_code == 302


def _admin_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin")


def _admin_client():
    call_command("create_demo_users")
    client = Client()
    client.force_login(_admin_user())
    return client


def _change_form(client, user):
    """The posted fields of `user`'s change form as the page shows them."""
    page = HTMLParser(client.get(f"/admin/auth/user/{user.pk}/change/").text)
    data = {}
    for node in page.css("form#user_form input, form#user_form select"):
        name = node.attributes.get("name")
        if not name or node.attributes.get("type") in ("submit", "button"):
            continue
        if node.tag == "select":
            data[name] = [o.attributes["value"] for o in node.css("option[selected]")]
        elif node.attributes.get("type") == "checkbox":
            if "checked" in node.attributes:
                data[name] = "on"
        else:
            data[name] = node.attributes.get("value") or ""
    return page, data


def test_admin_role_cannot_make_itself_superuser():
    client = _admin_client()
    admin = _admin_user()
    page, data = _change_form(client, admin)
    assert not page.css('input[name="is_superuser"]')

    data["is_superuser"] = "on"
    response = client.post(f"/admin/auth/user/{admin.pk}/change/", data)

    assert response.status_code == 302
    admin.refresh_from_db()
    assert not admin.is_superuser


def test_admin_role_cannot_grant_a_permission_it_does_not_hold(user_for):
    client = _admin_client()
    agent = _user(user_for)
    beyond = Permission.objects.get(codename="delete_user")  # the demo admin lacks it
    page, data = _change_form(client, agent)
    offered = {o.attributes["value"] for o in page.css('select[name="user_permissions"] option')}
    assert str(beyond.pk) not in offered

    data["user_permissions"] = [str(beyond.pk)]
    response = client.post(f"/admin/auth/user/{agent.pk}/change/", data)

    assert response.status_code == 200  # "not one of the available choices"
    assert not agent.user_permissions.filter(pk=beyond.pk).exists()


def test_admin_role_cannot_give_a_role_granting_more_than_its_own(user_for):
    client = _admin_client()
    agent = _user(user_for)
    mighty = Group.objects.create(name="mighty")
    mighty.permissions.add(Permission.objects.get(codename="delete_user"))
    _, data = _change_form(client, agent)

    data["groups"] = [str(mighty.pk)]
    response = client.post(f"/admin/auth/user/{agent.pk}/change/", data)

    assert response.status_code == 200
    assert not agent.groups.filter(pk=mighty.pk).exists()
    # Nor can it widen the role itself.
    assert client.get(f"/admin/auth/group/{mighty.pk}/change/").status_code in (200, 403)
    assert client.post(f"/admin/auth/group/{mighty.pk}/change/", {"name": "x"}).status_code == 403


def test_admin_role_cannot_change_a_superuser(django_user_model):
    client = _admin_client()
    root = django_user_model.objects.create_superuser("root", password="x")

    response = client.post(f"/admin/auth/user/{root.pk}/change/", {"username": "taken"})

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.username == "root"


def test_admin_role_saving_a_user_keeps_roles_it_cannot_give(user_for):
    client = _admin_client()
    agent = _user(user_for)
    mighty = Group.objects.create(name="mighty")
    mighty.permissions.add(Permission.objects.get(codename="delete_user"))
    agent.groups.add(mighty)
    _, data = _change_form(client, agent)
    data["first_name"] = "Ada"

    assert client.post(f"/admin/auth/user/{agent.pk}/change/", data).status_code == 302
    assert set(agent.groups.values_list("name", flat=True)) == {"support", "mighty"}


def test_superuser_can_make_a_superuser(django_user_model, user_for):
    root = django_user_model.objects.create_superuser("root", password="x")
    client = Client()
    client.force_login(root)
    agent = _user(user_for)
    _, data = _change_form(client, agent)
    data["is_superuser"] = "on"

    assert client.post(f"/admin/auth/user/{agent.pk}/change/", data).status_code == 302
    agent.refresh_from_db()
    assert agent.is_superuser


def test_admin_user_list_shows_each_users_role(user_for):
    client = _admin_client()
    _user(user_for, "marketing", "marketer")

    page = HTMLParser(client.get("/admin/auth/user/").text)

    headers = [th.text(strip=True) for th in page.css("#result_list thead th")]
    assert "Role" in headers
    rows = {
        tr.css_first("th").text(strip=True): tr.css_first("td.field-role").text(strip=True)
        for tr in page.css("#result_list tbody tr")
    }
    assert rows["marketer"] == "marketing"
    assert rows["admin"] == "admin"


@pytest.mark.parametrize("path", ["/admin/", "/admin/auth/user/", "/admin/login/"])
def test_admin_signed_in_without_admin_rights_gets_the_dashboard_403(client_for, path):
    response = client_for("support").get(path)

    assert response.status_code == 403
    assert "You are not allowed to do this" in response.text
    assert 'name="password"' not in response.text


def test_admin_signed_out_gets_a_sign_in_page(client):
    response = client.get("/admin/", follow=True)

    assert response.status_code == 200
    assert 'name="password"' in response.text
