"""Benchmark the import preview: one streamed pass over a CSV (encoding check, every row
checked, duplicates, parts), on 100,000 rows (~10 MB) and on a file five times larger.

Usage:
    .venv/bin/python bench/import_preview.py [--rows 100000] [--factor 5]

Each size runs in its own process, so that "peak memory" is that process's own high-water
mark (ru_maxrss) and the figures of one run do not leak into the other. It prints rows, file
size, time and peak memory per size; memory must not grow with the file. Goal: 100,000 rows
in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Source_id,Name,Email,Phone,Birthdate,City,Postal_Code,Country,tier,favourite_brand\n"
CITIES = ["Oslo", "Kraków", "München", "Lyon", "Málaga", "Porto", "Gent", "Aarhus"]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8", newline="") as file:
        file.write(HEADER)
        for n in range(rows):
            email = f"customer{n}@example.com" if n % 500 else "not-an-email"
            birth = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            file.write(
                f"crm-{n - 1 if n % 1000 == 999 else n},Customer Number {n},{email},"
                f"+47 {rng.randint(10000000, 99999999)},{birth},{rng.choice(CITIES)},"
                f"{rng.randint(1000, 9999)},NO,{rng.choice(['gold', 'silver'])},brand-{n % 97}\n"
            )


def measure(path: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from customers.imports import csvfile

    started = time.perf_counter()
    encoding = csvfile.detect_encoding(path)
    delimiter = csvfile.sniff_delimiter(path, encoding.bom)
    headers, _ = csvfile.read_header(path, encoding, delimiter)
    mapping = csvfile.suggest_mapping(headers)
    result = csvfile.analyse(path, encoding, delimiter, mapping, part_bytes=10_000_000)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": result.rows,
        "bytes": os.path.getsize(path),
        "seconds": round(elapsed, 2),
        "peak_mib": round(peak_kib / 1024, 1),
        "errors": result.errors,
        "duplicate_ids": result.duplicate_ids,
        "parts": len(result.parts),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--factor", type=int, default=5)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        for rows in (args.rows, args.rows * args.factor):
            path = Path(folder) / f"customers-{rows}.csv"
            write_csv(path, rows)
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(out.stdout)
            print(
                f"{figures['rows']:>9,} rows  {figures['bytes'] / 1e6:6.1f} MB  "
                f"{figures['seconds']:5.2f} s  peak {figures['peak_mib']:6.1f} MiB  "
                f"({figures['errors']} errors, {figures['duplicate_ids']} duplicate ids, "
                f"{figures['parts']} parts)"
            )
            path.unlink()


if __name__ == "__main__":
    main()
