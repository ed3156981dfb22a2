"""The periodic jobs of supervision, registered in apps.py (fengqiao.core.registry)."""

from __future__ import annotations


def sweep() -> str:
    from fengqiao.supervision.sweep import sweep as run

    report = run()
    return str(report) if report.counts else ""


def accountability() -> str:
    from fengqiao.supervision.accountability import detect

    found = detect()
    return str(dict(found)) if found else ""
