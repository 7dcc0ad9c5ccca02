"""Compare the dashboard's own time per page with an earlier revision's, side by side.

Usage:
    .venv/bin/python bench/compare.py REV [--rounds 10] [--repeat 10] [--customers 300]
                                          [--page NAME ...]

Checks REV out into a temporary git worktree, copies this tree's bench/harness.py and
bench/pages.py into it (the same measurement on both codes), and starts `bench/pages.py
--serve` in REV's tree and in this one: two processes, each with its own seeded sandbox and
signed-in user, that wait for orders. Then, `--rounds` times, it asks each process by turns for
`--repeat` requests of every page (who goes first alternates), so that the two codes are
measured within a second of each other, whatever the shared machine is doing that minute.

For every page it prints the median own CPU time (ms) of all of REV's requests and of all of
this tree's, and the median of the rounds' ratios (this tree / REV, each from two batches run
back to back): the figure worth quoting on a machine whose speed wanders by half.
"""

from __future__ import annotations

import argparse
import json
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


class Server:
    """`bench/pages.py --serve` in `tree`: own CPU times of `repeat` requests to a page."""

    def __init__(self, tree: Path, pages: list[str], customers: int) -> None:
        command = [sys.executable, "bench/pages.py", "--serve", "--customers", str(customers)]
        command += [a for p in pages for a in ("--page", p)]
        self.process = subprocess.Popen(
            command, cwd=tree, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        while (line := self.process.stdout.readline()) and line.strip() != "ready":
            if not line:
                raise RuntimeError(f"bench/pages.py --serve in {tree} stopped")

    def own_cpus(self, page: str, repeat: int) -> list[float]:
        self.process.stdin.write(f"{page}\t{repeat}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("rev")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--page", action="append", metavar="NAME")
    args = parser.parse_args()
    pages = args.page or list(DEFAULT_PAGES)

    base = Path(tempfile.mkdtemp(prefix="bench-compare-")) / "tree"
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(base), args.rev], check=True)
    samples: dict[tuple[str, str], list[float]] = {}
    ratios: dict[str, list[float]] = {}
    try:
        for name in ("harness.py", "pages.py"):
            shutil.copy(HERE / name, base / "bench" / name)
        servers = {"before": Server(base, pages, args.customers)}
        servers["now"] = Server(ROOT, pages, args.customers)
        for round_ in range(args.rounds):
            for page in pages:
                order = ("before", "now") if round_ % 2 == 0 else ("now", "before")
                batch = {label: servers[label].own_cpus(page, args.repeat) for label in order}
                for label, values in batch.items():
                    samples.setdefault((page, label), []).extend(values)
                now, before = (statistics.median(batch[k]) for k in ("now", "before"))
                ratios.setdefault(page, []).append(now / before)
        for server in servers.values():
            server.close()
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(base)], check=False)
    print(
        f"\nown CPU ms, median of {args.rounds} x {args.repeat} requests each, the two codes "
        "by turns; ratio: median of the rounds' ratios"
    )
    print(f"{'page':<28}{args.rev[:12]:>14}{'this tree':>12}{'ratio':>8}")
    for page in pages:
        before = statistics.median(samples[(page, "before")])
        now = statistics.median(samples[(page, "now")])
        print(f"{page:<28}{before:>14.2f}{now:>12.2f}{statistics.median(ratios[page]):>8.2f}")


if __name__ == "__main__":
    main()
