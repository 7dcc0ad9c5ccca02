"""Test settings: the real settings, with the environment a test run needs."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")
os.environ.setdefault("DSR_CERTIFICATE_KEY", "test-certificate-key")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("SANDBOX_DATABASE_URL", "sqlite://:memory:")
# On PostgreSQL (.ci/run's second run): no connection outlives its request, or the live
# servers' threads would hold the test database open when it is dropped.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
os.environ["VOUCHERIFY_APP_ID"] = ""
os.environ["VOUCHERIFY_APP_TOKEN"] = ""
os.environ.setdefault("SANDBOX_WORKER", "false")
os.environ.setdefault("IMPORT_FILES_DIR", tempfile.mkdtemp(prefix="imports-test-"))
# A token of our own, so that the sandbox's HTTP API is served with DEBUG off (live server tests).
os.environ.setdefault("SANDBOX_APP_TOKEN", "test-sandbox-token")

from dashboard.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No collectstatic before the tests: WhiteNoise finds the files where they are.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# File databases, not shared-cache memory ones: tests of concurrent writes (two agents saving
# at once, a double click) need SQLite's busy timeout and WAL, as in production; a shared
# cache answers "database table is locked" at once instead of waiting.
_TEST_DB_DIR = tempfile.mkdtemp(prefix="dashboard-tests-")
atexit.register(shutil.rmtree, _TEST_DB_DIR, ignore_errors=True)
for _alias, _config in DATABASES.items():  # noqa: F405
    if _config["ENGINE"] == "django.db.backends.sqlite3":
        _config["TEST"] = {"NAME": os.path.join(_TEST_DB_DIR, f"{_alias}.sqlite3")}
