"""Triage's team proposal for a case as the team form reads it (registered with
``fengqiao.cases.proposals`` in ``TriageConfig.ready``)."""

from __future__ import annotations

from typing import Any


def proposal_for(case: Any) -> list[dict[str, Any]]:
    from fengqiao.triage.models import TriageResult

    rows = TriageResult.objects.filter(case=case).values_list("team", flat=True).first()
    return list(rows or [])
