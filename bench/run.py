"""Run the benchmarks and print one table of everything measured.

    make bench                                   # every benchmark, each with its own defaults
    make bench BENCH_ARGS="--only foundation,web"
    make bench BENCH_ARGS="--summary"            # only print the table of the last results

Each ``bench/bench_*.py`` runs on its own database, writes ``bench/results/<name>.json`` and prints its
own detailed table; this runner runs them one after another (never in parallel: they measure time)
and then prints the rows of every result file side by side. Arguments after ``--`` go to every
script (for example ``-- --db sqlite``). Benchmarks are run on demand, never by the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import RESULTS, print_table

HERE = Path(__file__).resolve().parent
COLUMNS = ["bench", "db", "n", "p50_ms", "p95_ms", "p99_ms", "other figures", "target"]
LABEL_KEYS = ("bench", "sweep", "measure", "name", "page")


def scripts() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def summary() -> list[dict[str, object]]:
    """One row per measured line of every result file: the common latency columns, then whatever else
    that benchmark measured (seconds, requests per second, memory …) as ``key=value``."""
    rows: list[dict[str, object]] = []
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        for row in data.get("rows", []):
            label_key = next((k for k in LABEL_KEYS if k in row), None)
            out: dict[str, object] = {c: row.get(c, "") for c in COLUMNS}
            out["bench"] = f"{data.get('name', path.stem)}: {row.get(label_key, '') if label_key else ''}"
            targets = [f"{k.removeprefix('target_')}<{v}" for k, v in row.items() if k.startswith("target")]
            out["target"] = ", ".join(targets)
            out["other figures"] = ", ".join(
                f"{k}={v}"
                for k, v in row.items()
                if k not in COLUMNS and k != label_key and not k.startswith("target") and k != "mean_ms"
            )
            rows.append(out)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated names, e.g. foundation,web (default: all)")
    parser.add_argument("--summary", action="store_true", help="print the last results without running")
    parser.add_argument("rest", nargs="*", help="arguments passed to every script (after --)")
    args = parser.parse_args()
    available = scripts()
    wanted = [n.strip() for n in args.only.split(",") if n.strip()] or list(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {', '.join(available)}")
    failed: list[str] = []
    if not args.summary:
        for name in wanted:
            print(f"\n=== {name} ===", flush=True)
            result = subprocess.run([sys.executable, str(available[name]), *args.rest], cwd=HERE.parent)
            if result.returncode:
                failed.append(name)
    rows = summary()
    if rows:
        print("\n=== all results (bench/results/*.json) ===")
        print_table(rows, COLUMNS)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
