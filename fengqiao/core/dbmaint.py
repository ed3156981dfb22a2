"""Keep the query planner's statistics fresh.

PostgreSQL's autovacuum analyses tables by itself. SQLite (the embedded default) never does: without
statistics its planner picks the first usable index, e.g. the state index for "in progress cases of
one town" (a scan of every in-progress case) instead of OR-ing the town's path ranges. The embedded
scheduler runs :func:`optimize` at start and then daily; ``demo-setup`` runs it after seeding.
"""

from __future__ import annotations

from django.db import connection


def optimize() -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        # A bounded sample per index keeps this quick on large files (SQLite ≥ 3.32).
        cur.execute("PRAGMA analysis_limit=2000")
        cur.execute("ANALYZE")
