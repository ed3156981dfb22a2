"""What cases does when a lower floor tells it something (connected in apps.py)."""

from __future__ import annotations

from typing import Any


def reindex_case_paths(sender: Any, units: list[Any], **_: Any) -> None:
    """Keep the cases' denormalised paths in step when units move in the tree (org.units_moved)."""
    from fengqiao.cases.models import Case, CaseUnit

    for unit in units:
        Case.objects.filter(owner_unit=unit).update(owner_path=unit.path)
        Case.objects.filter(pending_unit=unit).update(pending_path=unit.path)
        Case.objects.filter(lead_unit=unit).update(lead_path=unit.path)
        Case.objects.filter(location_unit=unit).update(location_path=unit.path)
        CaseUnit.objects.filter(unit=unit).update(unit_path=unit.path)
