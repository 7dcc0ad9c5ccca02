"""The benchmarks still run: each prints its table for a tiny seeded sandbox.

Not a timing test: it asserts only that every page answers as it should (with DEBUG off, as
the benchmarks run) and that a figure is printed for it, so that a change to the settings or
the pages cannot leave `make bench` broken unnoticed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
FIGURE = r"[\d.]+ /\s*[\d.]+"
# The pages issue 8 sets own-time goals for.
GOALS = (
    "list, 100 rows",
    "profile",
    "activities fragment",
    "segments fragment",
    "consents fragment",
)


def run(script: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own scripts, with fixed arguments
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_pages_benchmark_measures_every_page(debug):
    out = run("pages.py", "--customers", "30", "--repeat", "1", *(["--debug"] if debug else []))

    for page in GOALS:
        assert re.search(rf"^{re.escape(page)}\s+200\s+\d+\s+{FIGURE}", out, re.M), out


def test_privacy_benchmark_walks_an_erasure():
    out = run("privacy.py", "--customers", "20", "--audit", "50", "--repeat", "1")

    assert re.search(r"execute \(POST\)\s+302\s+6\s", out), out
    assert re.search(r"certificate \(GET\)\s+200\s", out), out


def test_pages_benchmark_serves_own_times_for_compare():
    done = subprocess.run(  # noqa: S603 - our own script, with fixed arguments
        [sys.executable, str(BENCH / "pages.py"), "--serve", "--customers", "30"],
        input="profile\t3\nsegments fragment\t2\n",
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH.parent,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    ready = lines.index("ready")
    profile, segments = (json.loads(line) for line in lines[ready + 1 :])
    assert len(profile) == 3 and len(segments) == 2
    assert all(isinstance(ms, float) and ms > 0 for ms in profile + segments)


def test_parts_benchmark_times_each_read_both_ways():
    out = run("parts.py", "--repeat", "2", "--rounds", "1")

    for part in (
        "session load",
        "signed-in user",
        "audit entries near updates",
        "seen campaigns",
        "API call, client side",
    ):
        assert re.search(rf"^{re.escape(part)}\s+\d+\s+\d+\s+[\d.]+$", out, re.M), out
