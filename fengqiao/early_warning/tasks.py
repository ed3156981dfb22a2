from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(acks_late=True)
def run_warnings() -> dict[str, Any]:
    """Celery beat: one incremental run of every enabled model, then reminders and escalation."""
    from fengqiao.early_warning.engine import run
    from fengqiao.early_warning.sweep import sweep

    result = run()
    swept = sweep()
    return {
        "raised": len(result.raised),
        "updated": len(result.updated),
        "closed": len(result.closed),
        **dict(swept),
    }
