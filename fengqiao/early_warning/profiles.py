"""整体画像: a key person's (or pair's, or group's) cases across units and channels, co-party graph,
timeline and risk — names and phones masked; and the weekly series behind an area or domain warning."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Q
from django.utils import timezone

from fengqiao.cases import policy as case_policy
from fengqiao.cases.choices import Channel, Risk
from fengqiao.cases.models import Case, Party
from fengqiao.core import crypto
from fengqiao.core.labels import choice_label
from fengqiao.early_warning.models import Kind, Warning
from fengqiao.early_warning.trends import forecast, weekly

MAX_NODES = 60


def _hash_closure(keys: list[str], rounds: int = 3) -> set[str]:
    """All ID/phone hashes linked to ``keys`` through shared party rows (the same person)."""
    hashes = set(keys)
    for _ in range(rounds):
        rows = Party.objects.filter(Q(phone_hash__in=hashes) | Q(id_hash__in=hashes)).values_list(
            "phone_hash", "id_hash"
        )
        found = {h for pair in rows for h in pair if h}
        if found <= hashes:
            break
        hashes |= found
    return hashes


def _node(p: Party) -> str:
    return p.id_hash or p.phone_hash or f"party-{p.pk}"


def person_profile(w: Warning, user: Any) -> dict[str, Any]:
    import networkx as nx  # here, not at import: 27 MiB a web worker needs only on this page (issue #21)

    subject = w.subject or {}
    keys = subject.get("pair") or subject.get("persons") or ([subject["person"]] if subject.get("person") else [])
    keys = list(keys)[:30]
    hashes = _hash_closure(keys)
    own_ids = set(
        Party.objects.filter(Q(phone_hash__in=hashes) | Q(id_hash__in=hashes)).values_list("case_id", flat=True)
    )
    cases = list(
        case_policy.restrict(Case.objects.filter(pk__in=own_ids), user)
        .select_related("category", "owner_unit")
        .order_by("created_at")[:200]
    )
    parties = list(Party.objects.filter(case__in=cases))
    g = nx.Graph()
    labels: dict[str, str] = {}
    for p in parties:
        n = _node(p)
        labels.setdefault(n, p.masked_name or p.get_role_display())
        g.add_node(n, main=(p.phone_hash in hashes or p.id_hash in hashes))
    by_case: dict[int, list[str]] = {}
    for p in parties:
        by_case.setdefault(p.case_id, []).append(_node(p))
    for nodes in by_case.values():
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                if a != b:
                    g.add_edge(a, b, weight=g.get_edge_data(a, b, {"weight": 0})["weight"] + 1)
    if g.number_of_nodes() > MAX_NODES:
        keep = sorted(g.nodes, key=lambda n: (not g.nodes[n].get("main"), -g.degree(n)))[:MAX_NODES]
        g = g.subgraph(keep).copy()
    pos = nx.spring_layout(g, seed=7) if g.number_of_nodes() else {}
    graph = {
        "nodes": [
            {
                "x": float(pos[n][0]),
                "y": float(pos[n][1]),
                "label": labels.get(n, ""),
                "main": bool(g.nodes[n].get("main")),
                "degree": int(g.degree(n)),
            }
            for n in g.nodes
        ],
        "edges": [[float(pos[a][0]), float(pos[a][1]), float(pos[b][0]), float(pos[b][1])] for a, b in g.edges],
    }
    main = [p for p in parties if p.phone_hash in hashes or p.id_hash in hashes]
    names = sorted({p.masked_name for p in main if p.masked_name})
    phones = sorted({crypto.mask_phone(p.phone) for p in main if p.phone})
    return {
        "cases": cases,
        "names": names[:10],
        "phones": phones[:10],
        "channels": [(choice_label(Channel, c), n) for c, n in Counter(c.channel for c in cases).most_common()],
        "units": Counter(c.owner_unit.name for c in cases).most_common(),
        "risks": [(choice_label(Risk, r), n) for r, n in Counter(c.risk for c in cases).most_common()],
        "graph": graph,
        "hidden": max(0, len(own_ids) - len(cases)),
    }


def area_chart(w: Warning, user: Any) -> dict[str, Any] | None:
    subject = w.subject or {}
    data = weekly(user, weeks=16, now=timezone.now())
    if w.kind == Kind.AREA:
        series = data["by_area"].get((subject.get("area"), subject.get("type")))
    else:
        series = data["by_type"].get(subject.get("type"))
    if not series:
        return None
    fc = forecast(series)
    return {
        "x": [d.isoformat() for d in data["weeks"]],
        "y": series,
        "forecast": fc,
        "title": w.title,
    }
