"""Browser tests: Playwright driving Debian's Chromium against the dashboard on a live server.

The live server's dashboard talks to the sandbox over real HTTP (its own /sandbox/ routes), the way
any Voucherify client would.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the test's ORM calls are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def dashboard(django_db_setup, live_server, settings):
    """The live server, with the dashboard pointed at its own sandbox over HTTP.

    The test databases come first: a live server started before them takes the settings'
    in-memory SQLite for shared and hands one connection to all its threads, which crashes
    SQLite when two requests overlap (a page and its fragments)."""
    from customers.voucherify import get_client

    settings.VOUCHERIFY_USE_SANDBOX = False
    settings.VOUCHERIFY_API_URL = f"{live_server.url}/sandbox"
    settings.VOUCHERIFY_APP_ID = settings.SANDBOX_APP_ID
    settings.VOUCHERIFY_APP_TOKEN = settings.SANDBOX_APP_TOKEN
    get_client.cache_clear()
    yield live_server
    get_client.cache_clear()


@pytest.fixture
def sign_in(page, dashboard):
    """Sign `user` in through the real sign-in page; returns the page."""

    def _sign_in(username: str, password: str):
        page.goto(f"{dashboard.url}/signin/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        return page

    yield _sign_in
    # Let htmx requests still in flight finish before the live server's threads are torn down.
    page.wait_for_load_state("networkidle")


@pytest.fixture
def signed_in_as(user_for, sign_in):
    """`signed_in_as("support")`: a new user of that role, signed in through the page."""

    def _signed_in_as(role: str):
        user = user_for(role)
        user.set_password("correct-horse-battery")
        user.save()
        return sign_in(user.username, "correct-horse-battery")

    return _signed_in_as
