"""Configuration: a production start without its secrets stops with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "s" * 50,
    "DJANGO_ALLOWED_HOSTS": "example.com",
    "DSR_CERTIFICATE_KEY": "c" * 64,
}


def start(code: str = "print('started')", **env: str) -> subprocess.CompletedProcess:
    """Set Django up on the real settings in a fresh interpreter with exactly this environment
    (a developer's .env is not read)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "VOUCHERIFY_", "SANDBOX_", "DSR_", "DATABASE_"))
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "dashboard.settings",
            "DJANGO_READ_DOT_ENV": "false",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"DJANGO_ALLOWED_HOSTS": "example.com"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "s" * 50}, "DJANGO_ALLOWED_HOSTS"),
        ({}, "DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_settings_debug_off_without_required_setting_stops_with_message(env, missing):
    result = start(DJANGO_DEBUG="false", **env)

    assert result.returncode != 0
    assert f"DJANGO_DEBUG is off, so {missing} must be set" in result.stderr


def test_settings_debug_off_with_credentials_uses_voucherify_and_secure_cookies():
    result = start(
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.VOUCHERIFY_USE_SANDBOX)",
        **PRODUCTION,
        VOUCHERIFY_APP_ID="app",
        VOUCHERIFY_APP_TOKEN="token",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False"]


def test_settings_without_voucherify_credentials_uses_the_sandbox():
    result = start(
        "from django.conf import settings as s; print(s.VOUCHERIFY_USE_SANDBOX)", **PRODUCTION
    )

    assert result.stdout.split() == ["True"]


def test_settings_keep_database_connections_between_requests_on_sqlite_and_postgresql():
    show = (
        "from django.conf import settings as s; "
        "print(*(f\"{d['ENGINE'].rsplit('.', 1)[1]}:{d['CONN_MAX_AGE']}:{d['CONN_HEALTH_CHECKS']}\""
        " for d in s.DATABASES.values()))"
    )
    sqlite = start(show, **PRODUCTION, DATABASE_URL="sqlite:////tmp/x.sqlite3")
    postgres = start(show, **PRODUCTION, DATABASE_URL="postgres://u:p@db:5432/d")
    per_request = start(show, **PRODUCTION, DATABASE_CONN_MAX_AGE="0")

    assert sqlite.stdout.split() == ["sqlite3:60:True", "sqlite3:60:True"], sqlite.stderr
    assert postgres.stdout.split() == ["postgresql:60:True", "sqlite3:60:True"], postgres.stderr
    assert per_request.stdout.split() == ["sqlite3:0:True", "sqlite3:0:True"]
