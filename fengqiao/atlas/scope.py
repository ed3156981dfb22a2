"""Who sees which part of the county on the map, the screens and the statistics.

A user's atlas scope is the subtrees of the units where they hold one of ``ATLAS_ROLES``. Figures
count the cases whose owner, receiving or lead unit lies in the scope (as the leader's page does);
the map additionally shows a case's point only when the place it happened (``location_path``) lies
in the scope too, so a town leader never sees a point in another town.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from fengqiao.cases import policy
from fengqiao.cases.models import Case
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q

ATLAS_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER})
SCREEN_KINDS = (UnitKind.COUNTY, UnitKind.TOWN)  # the units that have a big screen


@dataclass(frozen=True)
class Scope:
    paths: tuple[str, ...]
    root: Unit | None  # the one unit the scope is (a county, a town), when it is one

    @property
    def key(self) -> str:
        return ",".join(self.paths)

    def contains(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.paths)

    def q(self, field: str) -> Q:
        q = Q(pk__in=[])
        for p in self.paths:
            q |= subtree_q(field, p)
        return q


def user_scope(user: Any, unit: Unit | None = None) -> Scope:
    """The user's scope, or the subtree of ``unit`` when it lies in it (otherwise 404)."""
    paths = tuple(policy.scope_paths(user, ATLAS_ROLES))
    if unit is not None:
        if not any(unit.path.startswith(p) for p in paths):
            raise Http404
        return Scope((unit.path,), unit)
    root = None
    if len(paths) == 1:
        root = Unit.objects.filter(path=paths[0]).first()
    return Scope(paths, root)


def scope_cases(user: Any, scope: Scope) -> QuerySet[Case]:
    """Cases owned, pending or led in the scope, and visible to the user (policy)."""
    area = scope.q("owner_path") | scope.q("pending_path") | scope.q("lead_path")
    visible = policy.scope_paths(user)
    if scope.paths and all(any(p.startswith(v) for v in visible) for p in scope.paths):
        if covers_all_units(scope):
            return Case.objects.all()  # every unit is in the scope: no per-row path test needed
        return Case.objects.filter(area)
    return policy.restrict(Case.objects.all(), user).filter(area)


def covers_all_units(scope: Scope) -> bool:
    """True when no unit lies outside the scope (a county leader's scope in a one-county install):
    every case is then in the scope, and the path conditions are left out of the SQL."""
    return bool(scope.paths) and not Unit.objects.exclude(scope.q("path")).exists()


def located_cases(user: Any, scope: Scope) -> QuerySet[Case]:
    """Cases of the scope that also happened in it (the map's points)."""
    return scope_cases(user, scope).filter(scope.q("location_path"))
