"""Production serving: every variable documented, `check --deploy` clean with README's production
settings and with .env.example's HTTPS lines, gunicorn serving pages and WhiteNoise the static
files, logs as JSON lines."""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ("dashboard", "customers", "sandbox")
# Read by Django's and runserver's machinery, not configuration: nothing to document.
NOT_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "set by manage.py and dashboard/wsgi.py",
    "RUN_MAIN": "set by runserver's autoreloader in the process it serves from",
}


def documented() -> set[str]:
    """NAME in every `NAME=...` or `# NAME=...` line of .env.example."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def read_from_os_environ() -> set[str]:
    """Literal names the code reads through os.environ / os.getenv."""
    names = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                target = None
                if isinstance(node, ast.Call) and node.args:
                    name = ast.unparse(node.func)
                    if name in ("os.environ.get", "os.getenv", "os.environ.setdefault"):
                        target = node.args[0]
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                    target = node.slice
                if isinstance(target, ast.Constant) and isinstance(target.value, str):
                    names.add(target.value)
    return names


def read_by_the_settings() -> set[str]:
    """Every name the settings ask django-environ for, recorded while they load."""
    code = (
        "import json, environ\n"
        "seen = []\n"
        "original = environ.Env.get_value\n"
        "def record(self, var, *args, **kwargs):\n"
        "    seen.append(var)\n"
        "    return original(self, var, *args, **kwargs)\n"
        "environ.Env.get_value = record\n"
        "import dashboard.settings\n"
        "print(json.dumps(sorted(set(seen))))\n"
    )
    recorded = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**_clean_environment(), "DJANGO_READ_DOT_ENV": "false", "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(recorded.stdout.strip().splitlines()[-1]))


def _clean_environment() -> dict[str, str]:
    prefixes = ("DJANGO_", "VOUCHERIFY_", "SANDBOX_", "DSR_", "DATABASE_", "IMPORT_", "JOB_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def test_env_example_lists_every_variable_the_settings_read():
    read = read_by_the_settings()

    assert "DATABASE_URL" in read  # read through a helper, not a literal env.str() call
    assert read - documented() == set()


def test_env_example_lists_every_variable_the_code_reads_from_os_environ():
    read = read_from_os_environ() - set(NOT_SETTINGS)

    assert read - documented() == set()


def production_settings() -> dict[str, str]:
    """The variables of README's production block, placeholders (`<...>`) made up."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Production\n.*?```sh\n(.*?)```", readme, flags=re.DOTALL)
    assert block, "README has a Production section with its settings in a sh block"
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(\S*)", block.group(1), flags=re.MULTILINE))
    return {
        name: secrets.token_urlsafe(48) if value.startswith("<") else value
        for name, value in values.items()
    }


def env_example_https_settings() -> dict[str, str]:
    """The commented HTTPS lines of .env.example (`# NAME=value` under "HTTPS in production")."""
    text = (ROOT / ".env.example").read_text()
    block = re.search(r"^# HTTPS in production.*\n((?:# [A-Z][A-Z0-9_]*=.*\n)+)", text, re.M)
    assert block, ".env.example has its HTTPS lines under '# HTTPS in production'"
    return dict(re.findall(r"^# ([A-Z][A-Z0-9_]*)=(\S*)", block.group(1), flags=re.MULTILINE))


def documented_production(source: str) -> dict[str, str]:
    """README's production block as it stands, or the least a deployment sets (debug off,
    secret key, hosts, certificate key, Voucherify's keys) with .env.example's HTTPS lines."""
    if source == "README":
        return production_settings()
    from tests.dashboard.test_settings import PRODUCTION

    https = env_example_https_settings()
    assert https == {
        "DJANGO_HSTS_SECONDS": "31536000",
        "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
        "DJANGO_HSTS_PRELOAD": "true",
        "DJANGO_SSL_REDIRECT": "true",
    }
    return {
        **PRODUCTION,
        **https,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),  # PRODUCTION's "sss..." is too weak
        "VOUCHERIFY_APP_ID": "app",
        "VOUCHERIFY_APP_TOKEN": "token",
    }


def check_deploy(settings: dict[str, str]) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` (warnings fail) with exactly these settings."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**_clean_environment(), "DJANGO_READ_DOT_ENV": "false", **settings},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("source", ["README", ".env.example"])
def test_check_deploy_with_the_documented_production_settings_is_clean(source):
    settings = documented_production(source)
    assert settings["DJANGO_DEBUG"] == "false"

    result = check_deploy(settings)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_without_hsts_names_the_missing_header():
    settings = {**production_settings(), "DJANGO_HSTS_SECONDS": "0"}

    result = check_deploy(settings)

    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """The production command (README) on a free port, DEBUG off, its databases in tmp_path."""
    port = _free_port()
    env = {
        **_clean_environment(),
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "false",
        "DSR_CERTIFICATE_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        "SANDBOX_WORKER": "false",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "IMPORT_FILES_DIR": str(tmp_path / "imports"),
    }
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput"],
        ["migrate", "--database=sandbox", "--noinput"],
        ["collectstatic", "--noinput"],
    ):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dashboard.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/healthz", timeout=5)
            break
        except (requests.ConnectionError, requests.Timeout):  # starting, or a busy machine
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.1)  # a process starting: no seam to wait on
    yield base, tmp_path, lambda: (tmp_path / "gunicorn.log").read_text()
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.mark.django_db
def test_gunicorn_serves_pages_and_hashed_static_files_and_logs_json(gunicorn):
    base, tmp_path, read_log = gunicorn
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]

    health = requests.get(base + "/healthz", timeout=10)
    css = requests.get(f"{base}/static/{manifest['css/app.css']}", timeout=10)
    gzipped = requests.get(
        f"{base}/static/{manifest['css/app.css']}", headers={"Accept-Encoding": "gzip"}, timeout=10
    )
    signin = requests.get(base + "/signin/", timeout=10)
    missing = requests.get(
        base + "/customers/ann@example.com/?email=ann@example.com",
        allow_redirects=False,
        timeout=10,
    )

    assert health.status_code == 200
    assert health.json()["backend"] == "sandbox"
    assert re.fullmatch(r"[0-9a-f]{32}", health.headers["X-Request-ID"])
    assert css.status_code == 200
    assert "immutable" in css.headers["Cache-Control"]
    assert gzipped.headers.get("Content-Encoding") == "gzip"
    assert signin.status_code == 200
    assert manifest["css/app.css"] in signin.text  # pages link the hashed names
    assert missing.status_code == 302  # to the sign-in page
    lines = [json.loads(line) for line in read_log().splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line["logger"] == "dashboard.request"]
    assert {"route": "healthz", "status": 200} in [
        {"route": line["route"], "status": line["status"]} for line in requests_logged
    ]
    assert all(line["request_id"] for line in requests_logged)
    assert "ann@example.com" not in read_log()
