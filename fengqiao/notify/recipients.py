"""Who should hear of an event: the responsible people of a unit, the handler, the team."""

from __future__ import annotations

from django.db.models import QuerySet

from fengqiao.cases.models import CaseEvent
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit, User

DESK_ROLES = (Role.DISPATCHER, Role.HANDLER)


def unit_desk(unit: Unit, roles: tuple[str, ...] = DESK_ROLES) -> QuerySet[User]:
    """Staff holding ``roles`` at ``unit``; a centre without staff falls back to its parent."""
    current: Unit | None = unit
    while current is not None:
        qs = User.objects.filter(is_active=True, role_assignments__unit=current, role_assignments__role__in=roles)
        if qs.exists() or current.kind not in (UnitKind.SUBCENTRE, UnitKind.CENTRE, UnitKind.GRID):
            return qs.distinct()
        current = current.parent
    return User.objects.none()


def recipients_for(event: CaseEvent, memo: dict[int, list[int]] | None = None) -> dict[int, str]:
    """user id → notification kind. ``memo`` (a batch's dict) keeps each unit's desk staff."""
    case = event.case

    def desk(unit: Unit) -> list[int]:
        if memo is None:
            return list(unit_desk(unit).values_list("pk", flat=True))
        if unit.pk not in memo:
            memo[unit.pk] = list(unit_desk(unit).values_list("pk", flat=True))
        return memo[unit.pk]

    out: dict[int, str] = {}
    code = event.code
    if code == "case.register":
        for uid in desk(case.owner_unit):
            out[uid] = "new_case"
    elif code in {"case.assign_unit", "case.transfer", "case.escalate", "case.return"} and case.pending_unit:
        for uid in desk(case.pending_unit):
            out[uid] = "to_accept"
    elif code == "case.assign_person" and case.handler_id:
        out[case.handler_id] = "assigned"
    elif code == "case.attach_team":
        for uid in case.team.exclude(mediator__user=None).values_list("mediator__user", flat=True):
            out[uid] = "team"
    elif code == "case.instruct":
        if case.handler_id:
            out[case.handler_id] = "instruction"
        for uid in desk(case.owner_unit):
            out.setdefault(uid, "instruction")
    elif code == "case.answer_instruction":
        author = (
            case.instructions.filter(pk=event.data.get("instruction")).values_list("author_id", flat=True).first()  # type: ignore[attr-defined]
        )
        if author:
            out[author] = "instruction_answered"
    elif code in {"case.rate", "case.reopen", "case.decline"}:
        if case.handler_id:
            out[case.handler_id] = code.split(".")[1]
        else:
            for uid in desk(case.owner_unit):
                out[uid] = code.split(".")[1]
    if event.actor_id:
        out.pop(event.actor_id, None)
    return out
