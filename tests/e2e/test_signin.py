from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])


def test_signin_wrong_password_then_right_lands_on_customers(user_for, sign_in, page):
    user = user_for("support", "agent")
    user.set_password("correct-horse-battery")
    user.save()

    sign_in("agent", "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    sign_in("agent", "correct-horse-battery")
    expect(page).to_have_url(f"{page.url.split('/customers')[0]}/customers/")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Customers")


def test_signout_then_customers_redirects_to_signin(signed_in_as, dashboard, page):
    signed_in_as("support")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{dashboard.url}/customers/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
