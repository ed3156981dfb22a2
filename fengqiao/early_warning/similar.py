"""类案研判: similar closed cases for a case page, and clusters of similar cases for leaders."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from fengqiao.cases import policy as case_policy
from fengqiao.cases.models import Case
from fengqiao.org.choices import Role

if TYPE_CHECKING:
    import numpy as np

ENDED = ["resolved", "unresolved", "closed", "archived"]
PANEL_ROLES = {Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.MEDIATOR, Role.GRID_WORKER, Role.SUPERVISOR}


def _sig(case_id: int) -> tuple[np.ndarray, list[int]] | None:
    import numpy as np  # with the comparison, not in every web worker

    from fengqiao.triage.models import TextSignature

    row = TextSignature.objects.filter(case_id=case_id).values_list("minhash", *[f"b{i}" for i in range(8)]).first()
    if row is None:
        return None
    return np.frombuffer(bytes(row[0]), dtype=np.uint32), list(row[1:])


def similar_closed(
    case: Case, user: Any, limit: int = 5, bar: float = 0.3, visible: Q | None = None
) -> list[dict[str, Any]]:
    """Closed or resolved cases whose text is similar to ``case``'s (MinHash bands of the intake's
    signatures), visible to ``user`` (``visible``: the page's ``visible_q(user)``, when it has it),
    most similar first, with how each was resolved."""
    import numpy as np  # with the comparison, not in every web worker

    from fengqiao.triage.models import TextSignature

    own = _sig(case.pk)
    if own is None:
        return []
    values, bands = own
    q = Q()
    for i, k in enumerate(bands):
        q |= Q(**{f"b{i}": k})
    candidates = (
        TextSignature.objects.filter(q)
        .exclude(case_id=case.pk)
        .order_by("-created_at")
        .values_list("case_id", "minhash")[:400]
    )
    scored = {
        cid: float(np.count_nonzero(np.frombuffer(bytes(mh), dtype=np.uint32) == values)) / len(values)
        for cid, mh in candidates
    }
    scored = {c: s for c, s in scored.items() if s >= bar}
    if not scored:
        return []
    qs = case_policy.restrict(
        Case.objects.filter(pk__in=list(scored), state__in=ENDED), user, visible=visible
    ).select_related("category", "owner_unit")
    rows = sorted(qs, key=lambda c: (-scored[c.pk], -c.pk))[:limit]
    return [{"case": c, "similarity": round(scored[c.pk] * 100)} for c in rows]


def case_panel(context: Any, case: Case) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(*PANEL_ROLES):
        return ""
    similar = similar_closed(case, user, visible=context.get("visible_q"))
    can_take = user.has_role(Role.LEADER)
    return render_to_string(
        "early_warning/_case_panel.html",
        {"case": case, "similar": similar, "can_take": can_take, "request": request},
    )


def clusters_for(user: Any, days: int = 90, similarity: float = 0.5, min_size: int = 3) -> list[dict[str, Any]]:
    """Clusters of similar cases (text, then split by type) among the cases ``user`` may see, with
    size, the last 4 weeks against the 4 before, places and three representative cases (highest mean
    similarity to the others). Kept for five minutes per user."""
    import numpy as np  # with the comparison, not in every web worker

    key = f"fengqiao:ew:clusters:{user.pk}:{days}:{similarity}:{min_size}"
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from fengqiao.early_warning.detectors.group import text_clusters
    from fengqiao.early_warning.detectors.snapshot import Snapshot

    now = timezone.now()
    snap = Snapshot(now, days)
    visible = set(
        case_policy.restrict(Case.objects.filter(created_at__gte=now - dt.timedelta(days=days)), user).values_list(
            "pk", flat=True
        )
    )
    sigs = snap.signatures(now - dt.timedelta(days=days))
    out: list[dict[str, Any]] = []
    for cluster in text_clusters(snap, days, similarity):
        by_type: dict[str, list[int]] = {}
        for c in cluster:
            if c in visible:
                by_type.setdefault(snap.rows[c].cat1, []).append(c)
        for cat1, cases in by_type.items():
            if len(cases) < min_size:
                continue
            recent = sum(1 for c in cases if snap.rows[c].created_at >= now - dt.timedelta(days=28))
            before = sum(
                1 for c in cases if now - dt.timedelta(days=56) <= snap.rows[c].created_at < now - dt.timedelta(days=28)
            )
            matrix = np.array([sigs[c][0] for c in cases if c in sigs])
            if len(matrix) == len(cases):
                sim = (matrix[:, None, :] == matrix[None, :, :]).mean(axis=2).mean(axis=1)
                reps = [cases[i] for i in np.argsort(-sim)[:3]]
            else:
                reps = cases[:3]
            places = Counter(snap.town_name(snap.rows[c].area_id) for c in cases)
            out.append(
                {
                    "cases": cases,
                    "size": len(cases),
                    "type": snap.type_name.get(cat1, ""),
                    "recent": recent,
                    "before": before,
                    "places": [p for p, _ in places.most_common(3) if p],
                    "representatives": reps,
                }
            )
    out.sort(key=lambda c: (-c["size"], -c["recent"]))
    cache.set(key, out, 300)
    return out
