"""Compare the dashboard's own time per page with an earlier revision's, side by side.

Usage:
    .venv/bin/python bench/compare.py REV [--rounds 6] [--repeat 20] [--customers 300]
                                          [--page NAME ...]

Checks REV out into a temporary git worktree, copies this tree's bench/harness.py and
bench/pages.py into it (the same measurement on both codes), then runs bench/pages.py in REV's
tree and in this one by turns, `--rounds` times each. For every page it prints the median over
the rounds of each run's median own CPU time (ms), for REV and for this tree, and their ratio.
Alternating runs is what makes the ratio worth quoting on a shared machine, where the same run
repeated can differ by half.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_PAGES = (
    "list, 100 rows",
    "profile",
    "activities fragment",
    "segments fragment",
    "consents fragment",
)
# A table row of bench/pages.py: page, status, calls, then median / p95 of total, API, own, own CPU.
ROW = re.compile(
    r"^(?P<page>.+?)\s+\d{3}\s+\S+" + r"\s+[\d.]+ /\s*[\d.]+" * 3 + r"\s+(?P<cpu>[\d.]+) /"
)


def own_cpu(tree: Path, pages: list[str], args) -> dict[str, float]:
    command = [sys.executable, "bench/pages.py", "--customers", str(args.customers)]
    command += ["--repeat", str(args.repeat)] + [a for p in pages for a in ("--page", p)]
    out = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        if (match := ROW.match(line)) and match["page"].strip() in pages:
            found[match["page"].strip()] = float(match["cpu"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("rev")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--page", action="append", metavar="NAME")
    args = parser.parse_args()
    pages = args.page or list(DEFAULT_PAGES)

    base = Path(tempfile.mkdtemp(prefix="bench-compare-")) / "tree"
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(base), args.rev], check=True)
    try:
        for name in ("harness.py", "pages.py"):
            shutil.copy(HERE / name, base / "bench" / name)
        runs: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for label, tree in (("before", base), ("now", ROOT)):
                for page, value in own_cpu(tree, pages, args).items():
                    runs.setdefault((page, label), []).append(value)
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(base)], check=False)
    print(f"\nown CPU ms, median of {args.rounds} alternating runs of {args.repeat} requests each")
    print(f"{'page':<28}{args.rev[:12]:>14}{'this tree':>12}{'ratio':>8}")
    for page in pages:
        before = statistics.median(runs[(page, "before")])
        now = statistics.median(runs[(page, "now")])
        print(f"{page:<28}{before:>14.2f}{now:>12.2f}{now / before:>8.2f}")


if __name__ == "__main__":
    main()
