"""Settings for the Customers Dashboard, all read from the environment (django-environ)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not DEBUG:
    missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_DEBUG is off, so {' and '.join(missing)} must be set "
            "(see .env.example; `make run` copies it to .env for local use)."
        )
elif not SECRET_KEY:
    SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - DEBUG only, refused above otherwise
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# Data-subject requests. The certificate key signs deletion certificates (HMAC-SHA256): keep it
# secret and stable, or the certificates already issued no longer verify.
DSR_CERTIFICATE_KEY = env.str("DSR_CERTIFICATE_KEY", default="")
if not DSR_CERTIFICATE_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off, so DSR_CERTIFICATE_KEY must be set: it signs the deletion "
            "certificates (see .env.example)."
        )
    DSR_CERTIFICATE_KEY = hmac.new(
        SECRET_KEY.encode(), b"dsr-certificate-key", hashlib.sha256
    ).hexdigest()
    warnings.warn(
        "DSR_CERTIFICATE_KEY is not set: deletion certificates are signed with a key derived "
        "from DJANGO_SECRET_KEY (DEBUG only). Set it before issuing certificates that count.",
        RuntimeWarning,
        stacklevel=1,
    )
# Four eyes: a second compliance user, not the requester, approves each request.
DSR_FOUR_EYES = env.bool("DSR_FOUR_EYES", default=True)

INSTALLED_APPS = [
    "dashboard.admin_site.DashboardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "dashboard",
    "customers",
    "sandbox",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id, and its own line times it all.
    "dashboard.logs.request_context",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the process itself (gunicorn), compressed, cached for ever by name.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dashboard.middleware.private_pages",
    "dashboard.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.backend",
            ],
            # Django's `date` filter and `url` tag, faster (fast_date.py, fast_url.py).
            "builtins": ["dashboard.templatetags.fast_date", "dashboard.templatetags.fast_url"],
        },
    },
]
# Django's widget templates, the common ones written in Python (dashboard/rendering.py).
FORM_RENDERER = "dashboard.rendering.FormRenderer"


def _database(url_var: str, default: str) -> dict:
    config = env.db(url_var, default=default)
    # Keep a worker thread's connection between requests, checked before reuse: opening one
    # costs more than a page's queries (on SQLite: the file, the PRAGMAs below and Django's
    # thirty SQL functions, about a millisecond per database per request).
    config.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    config.setdefault("CONN_HEALTH_CHECKS", True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # A background writer (sandbox async jobs) beside request threads: WAL, a busy
        # timeout and IMMEDIATE transactions, or writes fail with "database is locked".
        config.setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
    return config


DATABASES = {
    "default": _database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    "sandbox": _database("SANDBOX_DATABASE_URL", f"sqlite:///{BASE_DIR / 'sandbox.sqlite3'}"),
}
DATABASE_ROUTERS = ["sandbox.routers.SandboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Messages can quote what a user searched for (an email): keep them server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username,
# or from one address, that username / address is locked out for the cool-off time. Admins
# lift a lock-out in /admin/ (Access attempts) or with `manage.py axes_reset`.
SESSION_ENGINE = "dashboard.sessions"  # Django's database sessions, read faster
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "dashboard.auth.DashboardBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a proxy, set AXES_IPWARE_PROXY_COUNT so that the client's address is the one counted.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0) or None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` writes here; WhiteNoise serves it (see README, "Production").
STATIC_ROOT = BASE_DIR / env.str("DJANGO_STATIC_ROOT", default="staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Outside DEBUG: hashed names (cached for ever, safe to change) and gzip/brotli copies.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "dashboard.storage.StaticStorage"  # WhiteNoise's, each URL worked out once
    },
}

# Security. Sandbox routes are exempt from CSRF (API clients), never from auth headers.
SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
# Off by default: the proxy in front usually redirects; healthz answers plain-http probes.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", default=False) else None
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Voucherify. Without an app id and token the dashboard talks to the embedded sandbox.
VOUCHERIFY_APP_ID = env.str("VOUCHERIFY_APP_ID", default="")
VOUCHERIFY_APP_TOKEN = env.str("VOUCHERIFY_APP_TOKEN", default="")
if bool(VOUCHERIFY_APP_ID) != bool(VOUCHERIFY_APP_TOKEN):
    # Half a configuration must not quietly fall back to the sandbox's fake data.
    raise ImproperlyConfigured(
        "Set both VOUCHERIFY_APP_ID and VOUCHERIFY_APP_TOKEN (Voucherify), or neither (sandbox)."
    )
VOUCHERIFY_USE_SANDBOX = not VOUCHERIFY_APP_ID
VOUCHERIFY_API_URL = env.str("VOUCHERIFY_API_URL", default="https://api.voucherify.io")
VOUCHERIFY_TIMEOUT = env.float("VOUCHERIFY_TIMEOUT", default=10.0)
# Consents granted longer ago than this are flagged as due for a refresh (asked again).
CONSENT_REFRESH_MONTHS = env.int("CONSENT_REFRESH_MONTHS", default=24)

SANDBOX_DEFAULT_TOKEN = "sandbox-app-token"  # noqa: S105 - public, for local use only
SANDBOX_APP_ID = env.str("SANDBOX_APP_ID", default="sandbox-app-id")
SANDBOX_APP_TOKEN = env.str("SANDBOX_APP_TOKEN", default=SANDBOX_DEFAULT_TOKEN)
# The sandbox's HTTP API at /sandbox/: only when the sandbox is the backend, and, outside
# DEBUG, only behind a token of your own (the default one is published in .env.example).
SANDBOX_SERVE_HTTP = VOUCHERIFY_USE_SANDBOX and (
    DEBUG or SANDBOX_APP_TOKEN != SANDBOX_DEFAULT_TOKEN
)
SANDBOX_BULK_RECORD_CAP = env.int("SANDBOX_BULK_RECORD_CAP", default=100)
# Answer 429 past this many calls a minute per app, as Voucherify's plans do (0 = no limit).
SANDBOX_RATE_LIMIT_PER_MINUTE = env.int("SANDBOX_RATE_LIMIT_PER_MINUTE", default=0)
# Answer the consents endpoints with 410, as a project without the (removed) feature may.
SANDBOX_CONSENTS_GONE = env.bool("SANDBOX_CONSENTS_GONE", default=False)
# Start the sandbox's background worker for async actions in this process.
SANDBOX_WORKER = env.bool("SANDBOX_WORKER", default=True)

# Background jobs (imports, bulk updates): django-tasks, on the database by default; its worker
# is `manage.py db_worker` (make run starts it). See README for the Redis (RQ) backend.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Uploaded import files, kept until the job is deleted (they hold customer data: the erasure
# scrub rewrites them). Several machines need a shared folder (or another storage) here.
IMPORT_FILES_DIR = BASE_DIR / env.str("IMPORT_FILES_DIR", default="var/imports")
# The largest CSV file accepted for import (bytes); files over IMPORT_PART_BYTES go in parts.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Voucherify takes at most 10 MB a request (10,485,760 bytes); parts stay under it.
IMPORT_PART_BYTES = env.int("IMPORT_PART_BYTES", default=10_000_000)
# API calls the preview may make to tell which rows create and which update customers.
IMPORT_LOOKUP_BUDGET = env.int("IMPORT_LOOKUP_BUDGET", default=40)
# A job with no progress for this long is flagged on its page (seconds).
JOB_STALL_SECONDS = env.int("JOB_STALL_SECONDS", default=300)
# A worker renews its lease on a job at least this often; past it the job is taken up again.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=120)

# One JSON object a line on stderr, with the request id, the user id and Voucherify's request
# id; paths as routes, exceptions without their messages (dashboard/logs.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "dashboard.logs.RequestContextFilter"}},
    "formatters": {"json": {"()": "dashboard.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (plain text, mail to admins) give way to the one above.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
