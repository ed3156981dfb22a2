"""Key persons and places to watch on a grid's home page, read from the warnings app when it is
installed (open warnings about people, groups and areas that touch the grid's cases or units, and
the work notices the grid has not yet signed for). Read-only; the warnings app never imports this."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps

from fengqiao.org.models import Unit

WATCH_KINDS = ("person", "network", "area", "crime", "period")


@dataclass
class Watch:
    title: str
    kind: str
    level: str
    level_code: int
    pk: int


def for_grid(grid: Unit, case_ids: set[int], limit: int = 10) -> tuple[list[Watch], list[Any]]:
    if not apps.is_installed("fengqiao.early_warning"):
        return [], []
    from fengqiao.early_warning.models import OPEN_STATUSES, NoticeRecipient, Warning

    chain = [a.path for a in grid.ancestors()]
    warnings = Warning.objects.filter(status__in=OPEN_STATUSES, kind__in=WATCH_KINDS, owner_path__in=chain).order_by(
        "-level", "-raised_at"
    )
    out: list[Watch] = []
    for w in warnings[:500]:
        touches = w.assignee_path.startswith(grid.path) or bool(case_ids.intersection(w.case_ids or []))
        if touches or w.kind == "area":  # an area warning of the grid's village or town concerns it too
            out.append(Watch(w.title, w.get_kind_display(), w.get_level_display(), w.level, w.pk))
        if len(out) >= limit:
            break
    notices = list(
        NoticeRecipient.objects.filter(unit_path__in=chain, acknowledged_at__isnull=True)
        .select_related("notice")
        .order_by("-notice__issued_at")[:5]
    )
    return out, notices
