"""Per-system statistics: cases received, duplicates, mapping coverage, states, webhooks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from fengqiao.cases.models import Case
from fengqiao.cases.workflow import FINAL_STATES, OPEN_STATES
from fengqiao.channels.models import ExternalSystem, InboundRecord
from fengqiao.notify.models import OutboundMessage


def for_system(system: ExternalSystem) -> dict[str, Any]:
    rec = InboundRecord.objects.filter(system=system).aggregate(
        n=Count("pk"), dup=Sum("duplicates"), mapped=Count("pk", filter=Q(mapped=True))
    )
    cases = Case.objects.filter(source_system=system.code)
    by_state = cases.aggregate(
        open=Count("pk", filter=Q(state__in=list(OPEN_STATES))),
        resolved=Count("pk", filter=Q(state="resolved")),
        unresolved=Count("pk", filter=Q(state="unresolved")),
        final=Count("pk", filter=Q(state__in=list(FINAL_STATES))),
        overdue=Count("pk", filter=Q(state__in=list(OPEN_STATES), colour="red")),
    )
    hooks = {
        row["status"]: row["n"]
        for row in OutboundMessage.objects.filter(
            channel="webhook", dedup_key__startswith="wh:", case__source_system=system.code
        )
        .values("status")
        .annotate(n=Count("pk"))
    }
    last = (
        InboundRecord.objects.filter(system=system)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return {
        "system": system.code,
        "name": system.name,
        "kind": system.kind,
        "received": rec["n"] or 0,
        "duplicates_refused": rec["dup"] or 0,
        "category_mapped": rec["mapped"] or 0,
        "cases": by_state,
        "webhooks": {k: hooks.get(k, 0) for k in ("pending", "sending", "sent", "dead")},
        "last_received_at": last.isoformat() if last else None,
    }


def all_systems() -> list[dict[str, Any]]:
    return [for_system(s) for s in ExternalSystem.objects.order_by("code")]
