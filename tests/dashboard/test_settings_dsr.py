"""The data-subject request settings: the certificate key is required outside DEBUG."""

from __future__ import annotations

from tests.dashboard.test_settings import PRODUCTION, start

WITHOUT_KEY = {name: value for name, value in PRODUCTION.items() if name != "DSR_CERTIFICATE_KEY"}


def test_settings_debug_off_without_certificate_key_stops_with_message():
    result = start(**WITHOUT_KEY)

    assert result.returncode != 0
    assert "DJANGO_DEBUG is off, so DSR_CERTIFICATE_KEY must be set" in result.stderr


def test_settings_debug_on_without_certificate_key_derives_one_and_warns():
    result = start(
        "from django.conf import settings as s; print(len(s.DSR_CERTIFICATE_KEY))",
        **{**WITHOUT_KEY, "DJANGO_DEBUG": "true"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["64"]
    assert "DSR_CERTIFICATE_KEY is not set" in result.stderr


def test_settings_four_eyes_on_by_default_and_can_be_turned_off():
    default = start("from django.conf import settings as s; print(s.DSR_FOUR_EYES)", **PRODUCTION)
    off = start(
        "from django.conf import settings as s; print(s.DSR_FOUR_EYES)",
        **PRODUCTION,
        DSR_FOUR_EYES="false",
    )

    assert default.stdout.split() == ["True"]
    assert off.stdout.split() == ["False"]
