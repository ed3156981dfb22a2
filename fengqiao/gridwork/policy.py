"""Who may see and do grid work: scoped by unit like cases. A grid worker works in their grid; the
village, the town and the county see the grids of their subtree (read), and plan visits for them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fengqiao.cases.policy import Grant, scope_paths
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q

D, H, L, G, S = Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.GRID_WORKER, Role.SUPERVISOR

GRID_KINDS = (UnitKind.GRID, UnitKind.MICROGRID)
VIEW_ROLES = frozenset({G, D, H, L, S})
# Supervision of grid work (coverage, overdue visits, the grid-level rate): the desks above the grid.
SUPERVISE_ROLES = frozenset({D, H, L, S})
ACTION_ROLES: dict[str, frozenset[str]] = {
    "patrol": frozenset({G}),
    "report": frozenset({G}),
    "plan_visit": frozenset({G, D, H, L}),
    "record_visit": frozenset({G, D, H}),
    "cancel_visit": frozenset({G, D, H, L}),
    "deliver": frozenset({G, D, H}),
}


def visible_q(user: Any, field: str = "grid_path") -> Q:
    q = Q(pk__in=[])
    for p in scope_paths(user, VIEW_ROLES):
        q |= subtree_q(field, p)
    return q


def restrict(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    """The rows of a grid-work queryset (patrols, visits, deliveries, events) ``user`` may see."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(visible_q(user))


def grant_in(user: Any, action: str, grid: Unit | None) -> Grant | None:
    """The user's most specific grant for ``action`` whose subtree holds ``grid``."""
    if grid is None or not getattr(user, "is_authenticated", False):
        return None
    roles = ACTION_ROLES.get(action, frozenset())
    for g in sorted(user.role_grants(), key=lambda g: -len(g.unit.path)):
        if g.role in roles and grid.path.startswith(g.unit.path):
            return Grant(g.role, g.unit)
    return None


def grids_for(user: Any) -> QuerySet[Unit]:
    """The active grids ``user`` may see, in tree order."""
    paths = scope_paths(user, VIEW_ROLES)
    if not paths:
        return Unit.objects.none()
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("path", p)
    return Unit.objects.filter(q, kind__in=GRID_KINDS, is_active=True).order_by("path")


def own_grids(user: Any) -> list[Unit]:
    """The grids where ``user`` works as a grid worker (their grant units and the grids under them)."""
    paths = scope_paths(user, {G})
    if not paths:
        return []
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("path", p)
    return list(Unit.objects.filter(q, kind__in=GRID_KINDS, is_active=True).order_by("path"))


def can_view_grid(user: Any, grid: Unit) -> bool:
    return any(grid.path.startswith(p) for p in scope_paths(user, VIEW_ROLES))


def can_supervise(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*SUPERVISE_ROLES))


# Volunteer work (平安志愿): the desks that publish activities, record hours and run the 道德超市, each
# in its own subtree (a grid worker in the grid, a village or town desk in its area).
VOLUNTEER_ROLES = frozenset({G, D, H, L})


def volunteer_q(user: Any, field: str) -> Q:
    q = Q(pk__in=[])
    for p in scope_paths(user, VOLUNTEER_ROLES):
        q |= subtree_q(field, p)
    return q


def volunteer_units(user: Any, kinds: tuple[str, ...]) -> QuerySet[Unit]:
    """Active units of these kinds in ``user``'s volunteer scope, in tree order."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    return Unit.objects.filter(volunteer_q(user, "path"), kind__in=kinds, is_active=True).order_by("path")


def can_run_volunteers(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*VOLUNTEER_ROLES))


def can_run_shop(user: Any) -> bool:
    """Someone who looks after at least one village's 道德超市 (a village, town or county desk)."""
    return can_run_volunteers(user) and volunteer_units(user, (UnitKind.VILLAGE,)).exists()
