"""Helpers shared by the grid-work pages: who is asking, which grid, errors per field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from fengqiao.gridwork.policy import GRID_KINDS, VIEW_ROLES, can_view_grid
from fengqiao.org.models import Unit


def viewer(request: HttpRequest) -> Any:
    user: Any = request.user
    if not user.has_role(*VIEW_ROLES):
        raise PermissionDenied
    return user


def grid_or_404(user: Any, pk: int) -> Unit:
    grid = Unit.objects.filter(pk=pk, kind__in=GRID_KINDS, is_active=True).first()
    if grid is None or not can_view_grid(user, grid):
        raise Http404
    return grid


def field_errors(errors: Any) -> dict[str, list[str]]:
    """Action errors ({field: [messages]}) as plain strings; nested or general ones under "__all__"."""
    out: dict[str, list[str]] = {}
    for key, value in (errors or {}).items():
        items = value if isinstance(value, list) else [value]
        target = "__all__" if key == "non_field_errors" else str(key)
        for item in items:
            if isinstance(item, dict):
                for msgs in item.values():
                    out.setdefault(target, []).extend(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))
            else:
                out.setdefault(target, []).append(str(item))
    return out


def form_data(request: HttpRequest, fields: list[str]) -> dict[str, Any]:
    """The posted values of ``fields`` (blank ones left out, so defaults apply)."""
    out: dict[str, Any] = {}
    for name in fields:
        value = request.POST.get(name, "").strip()
        if value != "":
            out[name] = value
    return out
