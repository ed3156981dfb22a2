"""The staff page of 民生码 posters: every unit in the user's scope, grouped by town with a count
per town, one town's units (or a search's matches) a page at a time — no unit left out silently."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fengqiao.org.choices import UnitKind
from fengqiao.org.paths import subtree_q

PER_PAGE = 50
OTHERS = "others"  # the units under no town: the county, its centre, departments, task forces


@login_required
def posters(request: HttpRequest) -> HttpResponse:
    from fengqiao.cases.policy import units_in_scope

    query = (request.GET.get("q") or "").strip()[:40]
    town_code = (request.GET.get("town") or "").strip()[:40]
    units = units_in_scope(request.user).filter(is_active=True)
    towns = list(units.filter(kind=UnitKind.TOWN).order_by("path"))
    paths = list(units.values_list("path", flat=True))
    groups: list[dict[str, Any]] = [
        {"code": t.code, "name": t.name, "count": sum(1 for p in paths if p.startswith(t.path))} for t in towns
    ]
    in_towns = sum(g["count"] for g in groups)
    if len(paths) > in_towns:
        groups.append({"code": OTHERS, "name": "县级单位及部门", "count": len(paths) - in_towns})
    chosen = next((g for g in groups if g["code"] == town_code), None)
    if chosen is None and not query and len(groups) == 1:  # a town's own staff: straight to its units
        chosen = groups[0]
    listed = units.none()
    if query:
        listed = units.filter(Q(name__icontains=query) | Q(code__icontains=query))
    elif chosen is not None and chosen["code"] == OTHERS:
        town_q = Q(pk__in=[])
        for t in towns:
            town_q |= subtree_q("path", t.path)
        listed = units.exclude(town_q)
    elif chosen is not None:
        town = next(t for t in towns if t.code == chosen["code"])
        listed = units.filter(subtree_q("path", town.path))
    page = Paginator(listed.order_by("path"), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/posters.html",
        {
            "groups": groups,
            "total": len(paths),
            "chosen": chosen,
            "page": page,
            "q": query,
            "showing": bool(query) or chosen is not None,
        },
    )
