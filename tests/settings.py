"""Test settings: the real settings, with the environment a test run needs."""

import os

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("SANDBOX_DATABASE_URL", "sqlite://:memory:")
os.environ["VOUCHERIFY_APP_ID"] = ""
os.environ["VOUCHERIFY_APP_TOKEN"] = ""
os.environ.setdefault("SANDBOX_WORKER", "false")
# A token of our own, so that the sandbox's HTTP API is served with DEBUG off (live server tests).
os.environ.setdefault("SANDBOX_APP_TOKEN", "test-sandbox-token")

from dashboard.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
