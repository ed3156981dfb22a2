"""Helpers shared by the benchmarks: a fresh database, percentiles, result files, tables."""

from __future__ import annotations

import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_URL = "postgres://postgres@127.0.0.1:5432/fengqiao_bench"


def setup_django(db: str) -> str:
    """Point Django at a fresh benchmark database ("sqlite" or "postgres") and set it up."""
    sys.path.insert(0, str(ROOT))
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    os.environ.setdefault("FENGQIAO_DB_STATEMENT_TIMEOUT_MS", "0")  # set-up of millions of rows runs long
    # Each benchmark gets its own database (named after its script), so two can run side by side.
    script = Path(sys.argv[0]).stem.replace("bench_", "") or "bench"
    if db == "postgres":
        url = os.environ.get("BENCH_PG_URL", f"{PG_URL}_{script}")
        name = url.rsplit("/", 1)[1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    else:
        path = var / f"bench_{script}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], Any], n: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def write_result(name: str, rows: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"name": name, "rows": rows, "meta": meta or {}}, ensure_ascii=False, indent=1))
    return path


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-+-".join("-" * widths[c] for c in columns))
    for r in rows:
        print(" | ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


# One request of a load mix: (connection, client number, request number) -> (latency ms, error or "").
Request = Callable[[http.client.HTTPConnection, int, int], tuple[float, str]]


def run_clients(port: int, clients: int, seconds: float, one: Request) -> tuple[list[float], list[str], float]:
    """``clients`` threads on their own keep-alive connection to 127.0.0.1:``port`` call ``one`` until
    ``seconds`` have passed. Returns every latency (ms), the errors, and the elapsed seconds."""
    counter = itertools.count()
    stop = time.monotonic() + seconds
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(wid: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad: list[str] = []
        while time.monotonic() < stop:
            ms, error = one(conn, wid, next(counter))
            mine.append(ms)
            if error:
                bad.append(error)
        conn.close()
        with lock:
            lat.extend(mine)
            errors.extend(bad)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, errors, time.monotonic() - t0
