"""Who may see and do what: the one place where access to cases is decided.

Staff hold roles per unit (:class:`fengqiao.org.models.RoleAssignment`); a role's scope is its unit's
subtree. A case is visible to a user when its owner, pending (receiving), lead or an assisting unit
lies in the subtree of one of the user's units, or when the user is on the case's mediation team (which
mediation keeps: :data:`fengqiao.cases.hooks.team`).
Actions need a role listed for the action in a unit whose subtree holds the case's *anchor* unit
(the owner unit, or the receiving unit for accept/decline).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from fengqiao.cases import hooks
from fengqiao.org.choices import STAFF_CASE_ROLES, Role
from fengqiao.org.paths import subtree_q

if TYPE_CHECKING:
    from fengqiao.cases.models import Case
    from fengqiao.org.models import RoleAssignment, Unit

D, H, M, G, L = Role.DISPATCHER, Role.HANDLER, Role.MEDIATOR, Role.GRID_WORKER, Role.LEADER

ACTION_ROLES: dict[str, frozenset[str]] = {
    "register": frozenset({D, H, G}),
    "accept": frozenset({D, H, G}),
    "assign_person": frozenset({D, H, L}),
    "assign_unit": frozenset({D, L}),
    "transfer": frozenset({D, H}),
    "decline": frozenset({D, H, G}),
    "return": frozenset({D, H, G}),
    "escalate": frozenset({D, H, G, L}),
    "add_assist": frozenset({D, H, L}),
    "joint_meeting": frozenset({D, H, L}),
    "attach_team": frozenset({D, H, L}),
    "detach_team": frozenset({D, H, L}),
    "record_session": frozenset({H, M, G}),
    "first_contact": frozenset({H, M, G}),
    "pause": frozenset({D, H}),
    "resume": frozenset({D, H}),
    "resolve": frozenset({H, G}),
    "refer": frozenset({H}),
    "rate": frozenset({D, H, G}),
    "return_visit": frozenset({D, H, G}),
    "close": frozenset({D, H, G}),
    "reopen": frozenset({D, L}),
    "withdraw": frozenset({D, H}),
    "merge": frozenset({D, H}),
    "archive": frozenset({D, H}),
    "update": frozenset({D, H}),
    "edit_party": frozenset({D, H}),
    "note": frozenset({D, H, M, G, L}),
    "instruct": frozenset({L}),
    "answer_instruction": frozenset({D, H, G}),
    "extend": frozenset({D, H}),
}

# Actions a citizen may take on their own case (the portal proves who they are).
CITIZEN_ACTIONS = frozenset({"register", "rate", "reopen", "withdraw", "note", "update"})
# Actions where the receiving unit, not the owner, is the anchor.
PENDING_ANCHOR = frozenset({"decline"})
# Actions any unit that can see the case (including assisting units) may take.
VISIBLE_ANCHOR = frozenset({"note", "joint_meeting", "record_session", "first_contact", "instruct"})
# Actions a member of the case's mediation team may take without a unit role.
TEAM_ACTIONS = frozenset({"record_session", "first_contact", "note"})


INLINE_IDS = 2000


def _ids_q(rows: QuerySet[Any]) -> Q:
    """``pk IN (…)`` for the cases of ``rows`` (assisting units, team memberships). Small sets are
    inlined as literal ids, so the database can OR them with the index ranges (a subquery would
    force a sequential scan of all cases on PostgreSQL); large sets stay a subquery."""
    ids = list(rows.values_list("case_id", flat=True)[: INLINE_IDS + 1])
    if len(ids) <= INLINE_IDS:
        return Q(pk__in=ids) if ids else Q(pk__in=[])
    return Q(pk__in=rows.values("case_id"))


def _minimal_paths(paths: list[str]) -> list[str]:
    result: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(q) for q in result):
            result.append(p)
    return result


def scope_paths(user: Any, roles: frozenset[str] | set[str] | None = None) -> list[str]:
    if not getattr(user, "is_authenticated", False):
        return []
    wanted = roles if roles is not None else STAFF_CASE_ROLES
    return _minimal_paths([g.unit.path for g in user.role_grants() if g.role in wanted])


def visible_q(user: Any) -> Q:
    from fengqiao.cases.models import CaseUnit

    # Each term is an index range (or a primary-key subquery), so the database can combine them.
    paths = scope_paths(user)
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("owner_path", p) | subtree_q("pending_path", p) | subtree_q("lead_path", p)
        q |= _ids_q(CaseUnit.objects.filter(subtree_q("unit_path", p)))
    if (
        hooks.team is not None
        and getattr(user, "is_authenticated", False)
        and any(g.role == Role.MEDIATOR for g in user.role_grants())
    ):
        q |= _ids_q(hooks.team.memberships(user))
    return q


def restrict(queryset: QuerySet[Case], user: Any, action: str = "view", *, visible: Q | None = None) -> QuerySet[Case]:
    """The cases of ``queryset`` that ``user`` may see (``view``) or take ``action`` on. A page that
    restricts several querysets for one user may pass ``visible=visible_q(user)`` computed once."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    qs = queryset.filter(visible if visible is not None else visible_q(user))
    if action != "view":
        qs = qs.filter(anchor_q(user, action))
    return qs


def anchor_q(user: Any, action: str) -> Q:
    """The cases whose anchor units (:func:`anchor_units`) lie in the scope of a role listed for
    ``action``, or whose team ``user`` is on for team actions: the queryset twin of :func:`grant_for`."""
    from fengqiao.cases.models import CaseUnit

    q = Q(pk__in=[])
    for p in scope_paths(user, ACTION_ROLES.get(action, frozenset())):
        if action == "accept":  # the receiving unit, or the owner when nothing is pending
            q |= subtree_q("pending_path", p) | (Q(pending_path="") & subtree_q("owner_path", p))
        elif action in PENDING_ANCHOR:
            q |= subtree_q("pending_path", p)
        else:
            q |= subtree_q("owner_path", p)
            if action in VISIBLE_ANCHOR:
                q |= subtree_q("pending_path", p) | subtree_q("lead_path", p)
                q |= _ids_q(CaseUnit.objects.filter(subtree_q("unit_path", p)))
    if action in TEAM_ACTIONS and hooks.team is not None:
        q |= _ids_q(hooks.team.memberships(user))
    return q


@dataclass(frozen=True)
class Grant:
    """The role and unit under which an actor takes an action (recorded on the event)."""

    role: str
    unit: Unit | None


def anchor_units(case: Case, action: str) -> list[Unit]:
    if action == "accept":
        return [case.pending_unit] if case.pending_unit_id and case.pending_unit else [case.owner_unit]
    if action in PENDING_ANCHOR:
        return [case.pending_unit] if case.pending_unit_id and case.pending_unit else []
    units = [case.owner_unit]
    if action in VISIBLE_ANCHOR:
        if case.lead_unit_id and case.lead_unit:
            units.append(case.lead_unit)
        cached = getattr(case, "_assisting_units", None)
        if cached is None:
            cached = [cu.unit for cu in case.assisting.select_related("unit")]
            case._assisting_units = cached  # type: ignore[attr-defined]
        units.extend(cached)
        if case.pending_unit_id and case.pending_unit:
            units.append(case.pending_unit)
    return units


def grant_for(user: Any, action: str, case: Case) -> Grant | None:
    """The grant that lets ``user`` take ``action`` on ``case``, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    roles = ACTION_ROLES.get(action, frozenset())
    anchors = anchor_units(case, action)
    grants: list[RoleAssignment] = user.role_grants()
    # Prefer the most specific unit (deepest path) so the event names the actor's own unit.
    for g in sorted(grants, key=lambda g: -len(g.unit.path)):
        if g.role in roles and any(a.path.startswith(g.unit.path) for a in anchors):
            return Grant(g.role, g.unit)
    if action in TEAM_ACTIONS and hooks.team is not None and hooks.team.is_member(case, user):
        return Grant(Role.MEDIATOR, getattr(user, "unit", None))
    return None


def can_view(user: Any, case: Case) -> bool:
    from fengqiao.cases.models import Case as CaseModel

    return restrict(CaseModel.objects.filter(pk=case.pk), user).exists()


def allowed_actions(user: Any, case: Case) -> list[str]:
    from fengqiao.cases.workflow import TRANSITIONS

    return [name for name, t in TRANSITIONS.items() if t.allows(case.state) and grant_for(user, name, case) is not None]


def units_in_scope(user: Any, roles: frozenset[str] | set[str] | None = None) -> QuerySet[Unit]:
    from fengqiao.org.models import Unit

    q = Q(pk__in=[])
    for p in scope_paths(user, roles):
        q |= subtree_q("path", p)
    return Unit.objects.filter(q)
