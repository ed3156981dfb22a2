"""Who may see and handle warnings, notices and class problems: scoped by unit like cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from fengqiao.cases.policy import scope_paths
from fengqiao.org.choices import Role
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q

D, H, L, G, S = Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.GRID_WORKER, Role.SUPERVISOR

VIEW_ROLES = frozenset({D, H, L, S})
ACTION_ROLES: dict[str, frozenset[str]] = {
    "assign": frozenset({D, L}),
    "verify": frozenset({D, H, L}),
    "dismiss": frozenset({D, H, L}),
    "measures": frozenset({D, H}),
    "close": frozenset({D, L}),
    "notice": frozenset({D, L}),
    "acknowledge": frozenset({D, H, L, G}),
    "take_problem": frozenset({L}),
    "problem_progress": frozenset({D, H, L}),
    "close_problem": frozenset({L}),
}
# Actions the assignee unit may take as well as the owner unit.
ASSIGNEE_ACTIONS = frozenset({"verify", "dismiss", "measures"})


@dataclass(frozen=True)
class Grant:
    role: str
    unit: Unit


def visible_q(user: Any, owner: str = "owner_path", other: str = "assignee_path") -> Q:
    q = Q(pk__in=[])
    for p in scope_paths(user, VIEW_ROLES):
        q |= subtree_q(owner, p)
        if other:
            q |= subtree_q(other, p)
    return q


def warnings_for(user: Any) -> QuerySet[Any]:
    from fengqiao.early_warning.models import Warning

    if not getattr(user, "is_authenticated", False):
        return Warning.objects.none()
    return Warning.objects.filter(visible_q(user))


def problems_for(user: Any) -> QuerySet[Any]:
    from fengqiao.early_warning.models import ClassProblem

    if not getattr(user, "is_authenticated", False):
        return ClassProblem.objects.none()
    return ClassProblem.objects.filter(visible_q(user, "lead_path", "") | Q(created_by=user))


def grant_in(user: Any, action: str, units: list[Unit | None]) -> Grant | None:
    """The user's most specific grant for ``action`` whose subtree holds one of ``units``."""
    if not getattr(user, "is_authenticated", False):
        return None
    roles = ACTION_ROLES.get(action, frozenset())
    anchors = [u for u in units if u is not None]
    for g in sorted(user.role_grants(), key=lambda g: -len(g.unit.path)):
        if g.role in roles and any(a.path.startswith(g.unit.path) for a in anchors):
            return Grant(g.role, g.unit)
    return None


def warning_grant(user: Any, action: str, warning: Any) -> Grant | None:
    units = [warning.owner_unit]
    if action in ASSIGNEE_ACTIONS and warning.assignee_unit_id:
        units.append(warning.assignee_unit)
    return grant_in(user, action, units)


def allowed_actions(user: Any, warning: Any) -> list[str]:
    from fengqiao.early_warning.actions import TRANSITIONS

    out = [a for a, (froms, _) in TRANSITIONS.items() if warning.status in froms and warning_grant(user, a, warning)]
    if warning.is_open and warning_grant(user, "notice", warning):
        out.append("notice")
    return out
