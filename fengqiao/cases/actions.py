"""The action layer: the only code that changes a case.

Every caller — API, staff pages, citizen portal, imports, integrations, background jobs — calls
:func:`register_case` or :func:`perform`. Each action validates its input, locks the case row,
checks the declared transition and the actor's grant, writes the change, exactly one
:class:`~fengqiao.cases.models.CaseEvent` and one audit row in one transaction, bumps the
version, and queues side effects with ``transaction.on_commit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fengqiao.cases import codes, inputs
from fengqiao.cases.choices import Level, Satisfaction
from fengqiao.cases.events import event_label
from fengqiao.cases.models import Case, CaseEvent, CaseUnit, Party
from fengqiao.cases.policy import CITIZEN_ACTIONS, Grant, grant_for, restrict, scope_paths
from fengqiao.cases.workflow import TRANSITIONS, WORKING_STATES, State
from fengqiao.core import audit
from fengqiao.core.inputcheck import control_errors
from fengqiao.mediation.models import JointMeeting, MediationSession, TeamMember
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit, User


class ActionError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: Any, errors: dict[str, Any] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.errors = errors or {}


class ActionInvalid(ActionError):
    status = 400
    code = "invalid"


class InvalidTransition(ActionError):
    status = 409
    code = "invalid_transition"


class ActionForbidden(ActionError):
    status = 403
    code = "forbidden"


class StaleVersion(ActionError):
    status = 412
    code = "stale_version"


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, a citizen (proved by the portal) or the system (jobs, integrations)."""

    kind: str
    user: User | None = None
    name: str = ""

    @classmethod
    def staff(cls, user: Any) -> Actor:
        return cls("staff", user=user, name=user.get_username())

    @classmethod
    def citizen(cls, name: str = "citizen") -> Actor:
        return cls("citizen", name=name)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls("system", name=name)


@dataclass
class Ctx:
    case: Case
    actor: Actor
    grant: Grant | None
    data: dict[str, Any]
    reason: str = ""
    public: bool = False
    event_data: dict[str, Any] = field(default_factory=dict)
    target_state: str | None = None
    notify: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: Any
    input: type[serializers.Serializer]
    apply: Callable[[Ctx], None]
    public: bool = False


ACTIONS: dict[str, ActionSpec] = {}


def action(name: str, label: Any, input: type[serializers.Serializer], public: bool = False) -> Callable:
    def deco(fn: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        assert name in TRANSITIONS, f"action {name} has no declared transition"
        ACTIONS[name] = ActionSpec(name, label, input, fn, public)
        return fn

    return deco


# ---------------------------------------------------------------------------------------------
# helpers

LEVEL_FOR_KIND = {
    UnitKind.GRID: Level.BLUE,
    UnitKind.MICROGRID: Level.BLUE,
    UnitKind.VILLAGE: Level.BLUE,
    UnitKind.TOWN: Level.YELLOW,
    UnitKind.SUBCENTRE: Level.YELLOW,
    UnitKind.STATION: Level.YELLOW,
    UnitKind.DEPARTMENT: Level.ORANGE,
    UnitKind.TASKFORCE: Level.RED,
}


def level_for(unit: Unit, current: int) -> int:
    level = LEVEL_FOR_KIND.get(UnitKind(unit.kind))
    return int(level) if level is not None else current


def validate(input_cls: type[serializers.Serializer], data: Any, context: dict[str, Any] | None = None) -> dict:
    refused = control_errors(data)  # NUL or a control character: refused before any lookup
    if refused:
        raise ActionInvalid(gettext("输入有误，请检查后重试。"), errors=refused)
    ser = input_cls(data=data, context=context or {})
    if not ser.is_valid():
        raise ActionInvalid(gettext("输入有误，请检查后重试。"), errors=ser.errors)
    return dict(ser.validated_data)


def county_of(unit: Unit) -> Unit | None:
    return unit.ancestor_of_kind(UnitKind.COUNTY)


def default_owner(location: Unit | None, actor: Actor) -> Unit:
    """First-contact owner when routing has not chosen one: the town's 综治中心 of the place, the
    actor's own unit, or the county centre."""
    if location is not None:
        # One query: the 综治中心 of the town on the location's chain, else the town itself.
        chain = [int(x) for x in location.path.strip("/").split("/") if x]
        found = list(
            Unit.objects.filter(
                Q(pk__in=chain, kind=UnitKind.TOWN)
                | Q(parent_id__in=chain, parent__kind=UnitKind.TOWN, kind=UnitKind.SUBCENTRE)
            ).order_by("-depth")[:2]
        )
        for kind in (UnitKind.SUBCENTRE, UnitKind.TOWN):
            for unit in found:
                if unit.kind == kind:
                    return unit
    if actor.user is not None and actor.user.unit_id:
        return actor.user.unit  # type: ignore[return-value]
    centre = Unit.objects.filter(kind=UnitKind.CENTRE, is_active=True).order_by("path").first()
    if centre is None:
        raise ActionInvalid(gettext("未配置县级综治中心，无法确定责任单位。"))
    return centre


def initial_deadlines(case: Case, now: dt.datetime) -> None:
    from fengqiao.supervision.deadlines import apply_policy

    apply_policy(case, now)


def _queue_side_effects(event: CaseEvent) -> None:
    _queue_side_effects_many([event])


def _queue_side_effects_many(events: list[CaseEvent]) -> None:
    from fengqiao.core.tasks import enqueue
    from fengqiao.notify.tasks import fanout_event, fanout_events

    ids = [e.pk for e in events]

    def run() -> None:
        if len(ids) == 1:
            enqueue(fanout_event, ids[0])
        else:
            for start in range(0, len(ids), 500):
                enqueue(fanout_events, ids[start : start + 500])

    # robust: an error while queueing is logged, never raised into the committed action's response.
    transaction.on_commit(run, robust=True)


def _audit_row(code: str, actor: Actor, grant: Grant | None, case: Case, event: CaseEvent) -> dict[str, Any]:
    return {
        "action": code,
        "user": actor.user,
        "username": "" if actor.user else f"{actor.kind}:{actor.name}",
        "role": grant.role if grant else actor.kind,
        "unit_id": grant.unit.pk if grant and grant.unit else None,
        "obj": case,
        "detail": {"event": event.pk, "version": case.version, "state": case.state},
    }


def _audit(code: str, actor: Actor, grant: Grant | None, case: Case, event: CaseEvent) -> None:
    audit.record(**_audit_row(code, actor, grant, case, event))


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# ---------------------------------------------------------------------------------------------
# register


def register_case(actor: Actor, data: Any, *, via: str = "") -> tuple[Case, bool]:
    """Register a new case (受理登记). Returns (case, created); a repeated external reference of the
    same source system returns the existing case instead of creating a second one."""
    values = validate(inputs.RegisterInput, data)
    if values.get("external_ref"):
        existing = Case.objects.filter(
            source_system=values.get("source_system", ""), external_ref=values["external_ref"]
        ).first()
        if existing is not None:
            return existing, False
    now = timezone.now()
    reg = _prepare_registration(actor, values, now, {})
    try:
        _write_registrations(actor, [reg], via, now)
    except IntegrityError:
        # Two concurrent deliveries of one external reference: the other one won.
        existing = Case.objects.filter(
            source_system=values.get("source_system", ""), external_ref=values.get("external_ref", "")
        ).first()
        if existing is None or not values.get("external_ref"):
            raise
        return existing, False
    return reg.case, True


@dataclass
class Registered:
    """One row of :func:`register_many`: the case (new or the existing one with the same external
    reference), whether it was created, or the error that kept it out."""

    case: Case | None = None
    created: bool = False
    error: ActionError | None = None


def register_many(
    actor: Actor, items: list[Any], *, via: str = "", memo: dict[Any, Any] | None = None
) -> list[Registered]:
    """Register many new cases at once (ledger imports, batches of an integration): the same rules as
    :func:`register_case` — validation, external-reference idempotency, triage, owner, level,
    deadlines, exactly one event and one audit row per case, the same event receivers and side
    effects — with set-based lookups and bulk inserts, in the caller's transaction. A row that fails
    gets its error and is not written; the others are (the caller decides whether to roll back).
    ``memo``: a dict the caller keeps across the batches of one import (units, types, addresses and
    team candidates are looked up once)."""
    out = [Registered() for _ in items]
    memo = memo if memo is not None else {}
    checked = validate_many(inputs.RegisterInput, items, memo)
    # External references already known (or repeated within the batch) return the existing case.
    refs: dict[tuple[str, str], int] = {}
    wanted: dict[str, set[str]] = {}
    for i, (values, errors) in enumerate(checked):
        if errors is not None:
            out[i].error = ActionInvalid(gettext("输入有误，请检查后重试。"), errors=errors)
        elif values and values.get("external_ref"):
            wanted.setdefault(values.get("source_system", ""), set()).add(values["external_ref"])
    known: dict[tuple[str, str], Case] = {}
    for source, batch in wanted.items():
        for c in Case.objects.filter(source_system=source, external_ref__in=batch):
            known[(source, c.external_ref)] = c
    now = timezone.now()
    todo: list[tuple[int, dict[str, Any]]] = []
    same_as: dict[int, int] = {}  # a repeated reference within the batch: row -> the row written
    for i, (values, _errors) in enumerate(checked):
        if values is None:
            continue
        key = (values.get("source_system", ""), values.get("external_ref", ""))
        if key[1] and key in known:
            out[i].case = known[key]
        elif key[1] and key in refs:
            same_as[i] = refs[key]
        else:
            if key[1]:
                refs[key] = i
            todo.append((i, values))
    from fengqiao.core import crypto
    from fengqiao.triage import pipeline as triage

    hashes = [[crypto.search_hash(p["phone"]) for p in v.get("parties", []) if p.get("phone")] for _, v in todo]
    histories = triage.history_many(hashes)
    regs: list[tuple[int, _Registration]] = []
    for (i, values), history in zip(todo, histories, strict=True):
        try:
            regs.append((i, _prepare_registration(actor, values, now, memo, history=history)))
        except ActionError as exc:
            out[i].error = exc
    _write_registrations(actor, [r for _, r in regs], via, now, memo)
    for i, reg in regs:
        out[i].case, out[i].created = reg.case, True
    for i, first in same_as.items():
        out[i].case, out[i].error = out[first].case, out[first].error
    return out


def validate_many(
    input_cls: type[serializers.Serializer], items: list[Any], memo: dict[Any, Any] | None = None
) -> list[tuple[dict[str, Any] | None, Any]]:
    """Validate many inputs with one serializer (its fields are built once): ``(values, None)`` or
    ``(None, errors)`` per item. ``memo`` lets relation fields look each unit or type up once."""
    ser = input_cls(context={"memo": memo if memo is not None else {}})
    out: list[tuple[dict[str, Any] | None, Any]] = []
    for item in items:
        refused = control_errors(item)
        if refused:
            out.append((None, refused))
            continue
        try:
            out.append((dict(ser.run_validation(item)), None))
        except serializers.ValidationError as exc:
            out.append((None, exc.detail))
    return out


@dataclass
class _Registration:
    case: Case
    parties: list[dict[str, Any]]
    plan: Any
    grant: Grant | None


def _prepare_registration(
    actor: Actor, values: dict[str, Any], now: dt.datetime, memo: dict[Any, Any], history: int | None = None
) -> _Registration:
    """Triage, owner, scope check, level and deadlines of a new case: the unsaved row."""
    from fengqiao.triage import pipeline as triage

    # Triage (classify, locate, weigh the risk, route) fills what the caller left open.
    plan = triage.prepare(values, actor, now, history=history, memo=memo)
    location: Unit | None = values.get("location_unit")
    std = values.get("standard_address")
    if location is None and std is not None:
        location = std.grid
    routed: Unit | None = plan.owner if plan is not None else None
    owner: Unit = values.get("owner_unit") or routed or _memo_owner(location, actor, memo)

    grant: Grant | None = None
    if actor.kind == "staff" and not values.get("owner_unit") and actor.user is not None and actor.user.unit_id:
        # First contact (首接负责): when routing picks a unit outside the registrar's scope (a grid
        # worker's report routed to the town centre), the registrar's own unit owns it until it
        # is escalated or transferred.
        own_paths = scope_paths(actor.user, {Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER})
        if not any(owner.path.startswith(p) for p in own_paths):
            owner = actor.user.unit  # type: ignore[assignment]
    if actor.kind == "staff":
        paths = scope_paths(actor.user, {Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER})
        matching = [p for p in paths if owner.path.startswith(p)]
        if not matching:
            raise ActionForbidden(gettext("无权向该单位登记案件。"))
        grants = [
            g
            for g in actor.user.role_grants()  # type: ignore[union-attr]
            if g.unit.path in matching and g.role in {Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER}
        ]
        grant = Grant(grants[0].role, grants[0].unit) if grants else None
    elif actor.kind == "citizen" and "register" not in CITIZEN_ACTIONS:  # pragma: no cover
        raise ActionForbidden(gettext("无权登记。"))

    level = level_for(location or owner, Level.BLUE)
    if plan is not None and plan.level and routed is not None and owner.pk == routed.pk:
        level = plan.level  # the routing rule's level
    parties = values.pop("parties", [])
    case = Case(
        title=values["title"],
        description=values["description"],
        category=values.get("category"),
        domain=values.get("domain"),
        channel=values["channel"],
        source_system=values.get("source_system", ""),
        external_ref=values.get("external_ref", ""),
        anonymous=values.get("anonymous", False),
        address_text=values.get("address_text", ""),
        standard_address=std,
        location_unit=location,
        lat=values.get("lat"),
        lon=values.get("lon"),
        priority=values["priority"],
        risk=values["risk"],
        people_count=values["people_count"],
        received_at=values.get("received_at"),
        owner_unit=owner,
        level=level,
        registered_by=actor.user,
        created_at=now,
        state=State.REGISTERED,
        version=1,
    )
    initial_deadlines(case, now)
    if plan is not None:
        plan.apply_deadlines(case, now)
    case.fill_paths()
    return _Registration(case, parties, plan, grant)


def _memo_owner(location: Unit | None, actor: Actor, memo: dict[Any, Any]) -> Unit:
    key = ("default_owner", location.pk if location is not None else None)
    if key not in memo:
        memo[key] = default_owner(location, actor)
    return memo[key]  # type: ignore[no-any-return]


def _write_registrations(
    actor: Actor, regs: list[_Registration], via: str, now: dt.datetime, memo: dict[Any, Any] | None = None
) -> None:
    """Insert prepared registrations: cases, parties, stored triage, one event and one audit row each,
    then the event receivers (outbox messages, webhooks) and the side effects after the commit."""
    if not regs:
        return
    from django.db.models.signals import post_save

    from fengqiao.triage import pipeline as triage

    with transaction.atomic():
        Case.objects.bulk_create([r.case for r in regs])
        Party.objects.bulk_create([_party(r.case, p) for r in regs for p in r.parties])
        triage.record_many([(r.plan, r.case, r.parties) for r in regs if r.plan is not None], memo)
        events = [
            CaseEvent(
                case=r.case,
                code="case.register",
                actor=actor.user,
                actor_role=r.grant.role if r.grant else actor.kind,
                actor_unit=r.grant.unit if r.grant else None,
                via=via or r.case.channel,
                at=now,
                state_before="",
                state_after=r.case.state,
                after={"owner_unit": r.case.owner_unit_id, "channel": r.case.channel, "category": r.case.category_id},
                data={"triage": r.plan.event_data()} if r.plan is not None and r.plan.result is not None else {},
                public=True,
                version=r.case.version,
            )
            for r in regs
        ]
        CaseEvent.objects.bulk_create(events)
        audit.record_many(
            [_audit_row("case.register", actor, r.grant, r.case, e) for r, e in zip(regs, events, strict=True)]
        )
        using = transaction.get_connection().alias
        for e in events:
            # bulk_create sends no signals: the receivers (the applicant's message, webhooks) run as for save().
            post_save.send(CaseEvent, instance=e, created=True, update_fields=None, raw=False, using=using)
        _queue_side_effects_many(events)
        for r, e in zip(regs, events, strict=True):
            if r.plan is not None:
                r.plan.after_event(r.case, e)


def _party(case: Case, p: dict[str, Any]) -> Party:
    party = Party(case=case, **p)
    # bulk_create skips save(): compute the search hashes here.
    from fengqiao.core import crypto

    party.phone_hash = crypto.search_hash(party.phone) if party.phone else ""
    party.id_hash = crypto.search_hash(party.id_number, "id") if party.id_number else ""
    return party


# ---------------------------------------------------------------------------------------------
# perform


def perform(
    name: str,
    case: Case | int,
    actor: Actor,
    data: Any = None,
    *,
    expected_version: int | None = None,
    via: str = "",
) -> CaseEvent:
    """Take action ``name`` on ``case`` as ``actor``; returns the event written."""
    spec = ACTIONS.get(name)
    if spec is None:
        raise ActionInvalid(gettext("未知的操作：%(name)s") % {"name": name})
    values = validate(spec.input, data or {}, {"actor": actor})
    transition = TRANSITIONS[name]
    case_pk = case.pk if isinstance(case, Case) else case
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("owner_unit", "pending_unit", "lead_unit")
            .get(pk=case_pk)
        )
        if expected_version is not None and locked.version != expected_version:
            raise StaleVersion(gettext("案件已被他人更新（当前版本 %(v)s），请刷新后重试。") % {"v": locked.version})
        if not transition.allows(locked.state):
            raise InvalidTransition(
                gettext("案件当前状态为「%(state)s」，不能执行「%(action)s」。")
                % {"state": State(locked.state).label, "action": spec.label}
            )
        grant: Grant | None = None
        if actor.kind == "staff":
            grant = grant_for(actor.user, name, locked)
            if grant is None:
                raise ActionForbidden(gettext("您没有对该案件执行「%(action)s」的权限。") % {"action": spec.label})
        elif actor.kind == "citizen" and name not in CITIZEN_ACTIONS:
            raise ActionForbidden(gettext("群众不能执行该操作。"))

        before = inputs.case_field_snapshot(locked)
        state_before = locked.state
        ctx = Ctx(case=locked, actor=actor, grant=grant, data=values, public=spec.public)
        spec.apply(ctx)
        new_state = ctx.target_state or transition.target_for(state_before)
        if not transition.may_lead_to(state_before, new_state):  # pragma: no cover - a bug in an action
            raise InvalidTransition(f"undeclared transition {state_before} -> {new_state} by {name}")
        locked.state = new_state
        locked.version += 1
        locked.save()
        b, a = _diff(before, inputs.case_field_snapshot(locked))
        event = CaseEvent.objects.create(
            case=locked,
            code=f"case.{name}",
            actor=actor.user,
            actor_role=grant.role if grant else actor.kind,
            actor_unit=grant.unit if grant else None,
            via=via,
            state_before=state_before,
            state_after=locked.state,
            before=b,
            after=a,
            reason=ctx.reason,
            data=ctx.event_data,
            public=ctx.public,
            version=locked.version,
        )
        _audit(f"case.{name}", actor, grant, locked, event)
        _queue_side_effects(event)
    if isinstance(case, Case):
        case.refresh_from_db()
    return event


# ---------------------------------------------------------------------------------------------
# the actions


@action("accept", _("受理"), inputs.OptionalReasonInput, public=True)
def _accept(ctx: Ctx) -> None:
    c = ctx.case
    if c.pending_unit_id:
        c.dispatched_from = c.owner_unit
        c.owner_unit = c.pending_unit  # type: ignore[assignment]
        c.pending_unit = None
        c.level = level_for(c.owner_unit, c.level)
        c.handler = None
    c.accepted_at = c.accepted_at or timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"unit": c.owner_unit_id}


@action("assign_person", _("指派承办人"), inputs.AssignPersonInput, public=True)
def _assign_person(ctx: Ctx) -> None:
    c, handler = ctx.case, ctx.data["handler"]
    ok_roles = {Role.HANDLER, Role.GRID_WORKER, Role.DISPATCHER, Role.MEDIATOR}
    if not any(g.role in ok_roles and c.owner_unit.path.startswith(g.unit.path) for g in handler.role_grants()):
        raise ActionInvalid(
            gettext("承办人须为责任单位的工作人员。"), {"handler": [gettext("不是责任单位的工作人员。")]}
        )
    c.handler = handler
    if c.accepted_at is None:
        c.accepted_at = timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"handler": handler.pk, "handler_name": str(handler)}


def _dispatch(ctx: Ctx, target: Unit) -> None:
    c = ctx.case
    if target.pk == c.owner_unit_id:
        raise ActionInvalid(gettext("不能交给本单位。"), {"unit": [gettext("不能交给本单位。")]})
    c.pending_unit = target
    c.dispatched_from = c.owner_unit
    ctx.event_data = {"from": c.owner_unit_id, "to": target.pk, "to_name": target.name}


@action("assign_unit", _("交办"), inputs.AssignUnitInput, public=True)
def _assign_unit(ctx: Ctx) -> None:
    target: Unit = ctx.data["unit"]
    if ctx.grant and ctx.grant.unit and not target.path.startswith(ctx.grant.unit.path):
        raise ActionInvalid(gettext("只能交办给本级及下级单位。"), {"unit": [gettext("不在交办范围内。")]})
    _dispatch(ctx, target)
    ctx.reason = ctx.data["reason"]


@action("transfer", _("转办"), inputs.UnitTargetInput, public=True)
def _transfer(ctx: Ctx) -> None:
    _dispatch(ctx, ctx.data["unit"])
    ctx.reason = ctx.data["reason"]


@action("decline", _("退回（拒收）"), inputs.ReasonInput)
def _decline(ctx: Ctx) -> None:
    c = ctx.case
    ctx.event_data = {"declined_by": c.pending_unit_id, "back_to": c.owner_unit_id}
    c.pending_unit = None
    ctx.reason = ctx.data["reason"]


@action("return", _("退回"), inputs.ReasonInput)
def _return(ctx: Ctx) -> None:
    c = ctx.case
    back_to = c.dispatched_from
    if back_to is None:
        raise ActionInvalid(gettext("该案件没有交办单位，无法退回。"))
    c.pending_unit = back_to
    c.dispatched_from = c.owner_unit
    c.handler = None
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"from": c.owner_unit_id, "to": back_to.pk}


def escalation_target(owner: Unit) -> Unit | None:
    """One tier up: grid/village → town centre; town → county centre; county → task force."""
    tier = owner.tier
    if owner.kind in (UnitKind.CENTRE,):
        tier = 3
    if tier <= 1:
        town = owner.ancestor_of_kind(UnitKind.TOWN)
        if town is not None:
            return Unit.objects.filter(parent=town, kind=UnitKind.SUBCENTRE).first() or town
    county = owner.ancestor_of_kind(UnitKind.COUNTY)
    if county is None:
        return None
    if tier <= 2:
        return Unit.objects.filter(parent=county, kind=UnitKind.CENTRE).first()
    if tier == 3:
        return Unit.objects.filter(parent=county, kind=UnitKind.TASKFORCE, is_active=True).first()
    return None


@action("escalate", _("上报升级"), inputs.EscalateInput, public=True)
def _escalate(ctx: Ctx) -> None:
    c = ctx.case
    target: Unit | None = ctx.data.get("unit")
    current_tier = 3 if c.owner_unit.kind == UnitKind.CENTRE else c.owner_unit.tier
    if target is None:
        target = escalation_target(c.owner_unit)
        if target is None:
            raise ActionInvalid(gettext("已是最高层级，无法继续上报。"))
    elif target.tier <= current_tier and target.kind != UnitKind.TASKFORCE:
        raise ActionInvalid(gettext("只能上报到更高层级的单位。"), {"unit": [gettext("层级不高于当前责任单位。")]})
    _dispatch(ctx, target)
    # Up to the county centre means tier 3, orange (docs/workflow.md); a case merely registered at
    # the centre keeps the level of its place (level_for).
    level = Level.ORANGE if target.kind == UnitKind.CENTRE else level_for(target, c.level)
    c.level = max(c.level, int(level))
    ctx.reason = ctx.data["reason"]
    ctx.event_data["level"] = c.level


@action("add_assist", _("增加协办单位"), inputs.AddAssistInput)
def _add_assist(ctx: Ctx) -> None:
    c = ctx.case
    added = []
    for unit in ctx.data["units"]:
        if unit.pk == c.owner_unit_id:
            continue
        _, created = CaseUnit.objects.get_or_create(case=c, unit=unit, defaults={"unit_path": unit.path})
        if created:
            added.append(unit.pk)
    lead = ctx.data.get("lead_unit")
    if lead is not None:
        c.lead_unit = lead
    # ``assisting`` already holds the units added above: count them once.
    if c.assisting.count() >= 2 and c.level < Level.ORANGE:
        c.level = Level.ORANGE  # several departments → orange (004)
    if not added and lead is None:
        raise ActionInvalid(gettext("这些单位已是协办单位。"), {"units": [gettext("没有新增的协办单位。")]})
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"added": added, "lead_unit": lead.pk if lead else None}


@action("joint_meeting", _("召开联席会议"), inputs.JointMeetingInput)
def _joint_meeting(ctx: Ctx) -> None:
    m = JointMeeting.objects.create(case=ctx.case, recorded_by=ctx.actor.user, **ctx.data)
    ctx.event_data = {"meeting": m.pk, "held_at": m.held_at.isoformat()}
    ctx.reason = ctx.data["decisions"]


@action("attach_team", _("组建调解团队"), inputs.AttachTeamInput, public=True)
def _attach_team(ctx: Ctx) -> None:
    c = ctx.case
    added = []
    has_lead = c.team.filter(is_lead=True).exists()
    for m in ctx.data["members"]:
        mediator = m["mediator"]
        if c.team.filter(mediator=mediator).exists():
            raise ActionInvalid(
                gettext("调解员已在团队中。"), {"members": [gettext("%(n)s 已在团队中。") % {"n": mediator.name}]}
            )
        is_lead = m["is_lead"] and not has_lead
        TeamMember.objects.create(case=c, mediator=mediator, is_lead=is_lead, reason=m["reason"])
        mediator.active_cases += 1
        mediator.save(update_fields=["active_cases"])
        added.append({"mediator": mediator.pk, "name": mediator.name, "lead": is_lead})
    if not c.team.filter(is_lead=True).exists():
        first = c.team.order_by("added_at").first()
        if first:
            first.is_lead = True
            first.save(update_fields=["is_lead"])
    ctx.event_data = {"members": added}


@action("detach_team", _("调整调解团队"), inputs.DetachTeamInput)
def _detach_team(ctx: Ctx) -> None:
    member = ctx.case.team.filter(mediator=ctx.data["mediator"]).first()
    if member is None:
        raise ActionInvalid(gettext("该调解员不在团队中。"), {"mediator": [gettext("不在团队中。")]})
    member.delete()
    mediator = ctx.data["mediator"]
    mediator.active_cases = max(0, mediator.active_cases - 1)
    mediator.save(update_fields=["active_cases"])
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"mediator": mediator.pk, "name": mediator.name}
    if not ctx.case.team.exists() and ctx.case.state == State.MEDIATING:
        ctx.target_state = State.IN_PROGRESS


@action("record_session", _("记录调解"), inputs.SessionInput, public=True)
def _record_session(ctx: Ctx) -> None:
    s = MediationSession.objects.create(case=ctx.case, recorded_by=ctx.actor.user, **ctx.data)
    c = ctx.case
    if c.first_contact_at is None:
        c.first_contact_at = timezone.now()
    ctx.event_data = {
        "session": s.pk,
        "held_at": s.held_at.isoformat(),
        "place": s.place,
        "online": bool(s.online_url),
        "outcome": s.outcome,
    }


@action("first_contact", _("联系当事人"), inputs.FirstContactInput, public=True)
def _first_contact(ctx: Ctx) -> None:
    c = ctx.case
    if c.first_contact_at is None:
        c.first_contact_at = timezone.now()
    ctx.reason = ctx.data["note"]
    ctx.event_data = {"method": ctx.data["method"]}


@action("pause", _("中止计时"), inputs.PauseInput)
def _pause(ctx: Ctx) -> None:
    ctx.case.paused_from = ctx.case.state
    ctx.case.paused_at = timezone.now()
    ctx.reason = ctx.data["note"]
    ctx.event_data = {"wait_for": ctx.data["reason"]}


@action("resume", _("恢复办理"), inputs.OptionalReasonInput)
def _resume(ctx: Ctx) -> None:
    c = ctx.case
    from fengqiao.supervision.deadlines import shift_after_pause

    ctx.target_state = c.paused_from if c.paused_from in WORKING_STATES else State.IN_PROGRESS
    c.paused_from = ""
    if c.paused_at is not None:
        now = timezone.now()
        shift_after_pause(c, c.paused_at, now)
        ctx.event_data = {"paused_seconds": int((now - c.paused_at).total_seconds())}
        c.paused_at = None
    ctx.reason = ctx.data["reason"]


@action("resolve", _("化解办结"), inputs.ResolveInput, public=True)
def _resolve(ctx: Ctx) -> None:
    c = ctx.case
    c.agreement = ctx.data["agreement"]
    c.matter_settled = ctx.data["matter_settled"]
    c.grievance_settled = ctx.data["grievance_settled"]
    c.result_summary = ctx.data["result"]
    c.resolved_at = timezone.now()
    ctx.event_data = {k: ctx.data[k] for k in ("agreement", "matter_settled", "grievance_settled")}
    _release_team(c)


def _release_team(c: Case) -> None:
    for member in c.team.select_related("mediator"):
        m = member.mediator
        m.active_cases = max(0, m.active_cases - 1)
        m.save(update_fields=["active_cases"])


@action("refer", _("未化解转介"), inputs.ReferInput, public=True)
def _refer(ctx: Ctx) -> None:
    c = ctx.case
    c.referral = ctx.data["referral"]
    c.resolved_at = timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"referral": c.referral}
    _release_team(c)


@action("rate", _("评价"), inputs.RateInput, public=True)
def _rate(ctx: Ctx) -> None:
    c = ctx.case
    c.satisfaction = ctx.data["satisfaction"]
    if ctx.data.get("matter_settled") is not None:
        c.matter_settled = ctx.data["matter_settled"]
    if ctx.data.get("grievance_settled") is not None:
        c.grievance_settled = ctx.data["grievance_settled"]
    ctx.reason = ctx.data["comment"]
    ctx.event_data = {
        "satisfaction": c.satisfaction,
        "matter_settled": ctx.data.get("matter_settled"),
        "grievance_settled": ctx.data.get("grievance_settled"),
        "unhappy": c.satisfaction == Satisfaction.UNSATISFIED,
    }


@action("return_visit", _("回访"), inputs.ReturnVisitInput)
def _return_visit(ctx: Ctx) -> None:
    c = ctx.case
    c.matter_settled = ctx.data["matter_settled"]
    c.grievance_settled = ctx.data["grievance_settled"]
    ctx.reason = ctx.data["note"]
    ctx.event_data = {k: ctx.data[k] for k in ("method", "matter_settled", "grievance_settled")}


@action("close", _("办结"), inputs.OptionalReasonInput, public=True)
def _close(ctx: Ctx) -> None:
    ctx.case.closed_at = timezone.now()
    ctx.reason = ctx.data["reason"]


@action("reopen", _("重新办理"), inputs.ReasonInput, public=True)
def _reopen(ctx: Ctx) -> None:
    c = ctx.case
    c.closed_at = None
    c.resolved_at = None
    c.referral = ""
    # The citizen rates the new result: the earlier rating stays in its rate event and in this event's
    # "before"; the case waits for a new one (and the reminder after the next resolution).
    c.satisfaction = ""
    c.matter_settled = None
    c.grievance_settled = None
    ctx.reason = ctx.data["reason"]


@action("withdraw", _("撤回"), inputs.OptionalReasonInput, public=True)
def _withdraw(ctx: Ctx) -> None:
    c = ctx.case
    c.pending_unit = None
    c.closed_at = timezone.now()
    ctx.reason = ctx.data["reason"]
    _release_team(c)


@action("merge", _("合并"), inputs.MergeInput, public=True)
def _merge(ctx: Ctx) -> None:
    c = ctx.case
    code = codes.normalise(ctx.data["into"])
    target_qs = Case.objects.filter(code=code).exclude(pk=c.pk)
    if ctx.actor.kind == "staff":
        target_qs = restrict(target_qs, ctx.actor.user)
    target = target_qs.first()
    if target is None or not target.is_open:
        raise ActionInvalid(gettext("目标案件不存在或已结束。"), {"into": [gettext("目标案件不存在或已结束。")]})
    c.merged_into = target
    c.pending_unit = None
    c.closed_at = timezone.now()
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"into": target.code}
    _release_team(c)


@action("archive", _("归档"), inputs.EmptyInput)
def _archive(ctx: Ctx) -> None:
    ctx.event_data = {}


@action("update", _("修改案件信息"), inputs.UpdateInput)
def _update(ctx: Ctx) -> None:
    c = ctx.case
    for key, value in ctx.data.items():
        if key != "reason":
            setattr(c, key, value)
    ctx.reason = ctx.data["reason"]
    ctx.event_data = {"fields": sorted(k for k in ctx.data if k != "reason")}
    changed = set(ctx.data) & {"category", "domain", "location_unit"}
    if changed:  # routing re-runs when the type or the place changes
        from fengqiao.triage.pipeline import after_update

        rerouted = after_update(c, changed)
        if rerouted:
            ctx.event_data["triage"] = rerouted


@action("note", _("备注"), inputs.NoteInput)
def _note(ctx: Ctx) -> None:
    ctx.reason = ctx.data["text"]
    ctx.public = ctx.data["public"]


@action("instruct", _("领导批示"), inputs.InstructInput)
def _instruct(ctx: Ctx) -> None:
    from fengqiao.supervision.models import Instruction

    if ctx.actor.user is None:  # pragma: no cover - staff only by ACTION_ROLES
        raise ActionForbidden(gettext("只有领导可以批示。"))
    instruction = Instruction.objects.create(case=ctx.case, author=ctx.actor.user, text=ctx.data["text"])
    ctx.reason = ctx.data["text"]
    ctx.event_data = {"instruction": instruction.pk}


@action("answer_instruction", _("回复批示"), inputs.AnswerInstructionInput)
def _answer_instruction(ctx: Ctx) -> None:
    from fengqiao.supervision.models import Instruction

    instruction = Instruction.objects.filter(pk=ctx.data["instruction"], case=ctx.case).first()
    if instruction is None:
        raise ActionInvalid(gettext("批示不存在。"), {"instruction": [gettext("该案件没有这条批示。")]})
    if instruction.answered_at is not None:
        raise ActionInvalid(gettext("该批示已回复。"), {"instruction": [gettext("该批示已回复。")]})
    instruction.answer = ctx.data["answer"]
    instruction.answered_by = ctx.actor.user
    instruction.answered_at = timezone.now()
    instruction.save(update_fields=["answer", "answered_by", "answered_at"])
    ctx.reason = ctx.data["answer"]
    ctx.event_data = {"instruction": instruction.pk}


def label_for(name: str) -> str:
    spec = ACTIONS.get(name)
    return str(spec.label) if spec else name


__all__ = [
    "ACTIONS",
    "ActionError",
    "ActionForbidden",
    "ActionInvalid",
    "Actor",
    "InvalidTransition",
    "StaleVersion",
    "event_label",
    "perform",
    "register_case",
]


# ---------------------------------------------------------------------------------------------
# pre-litigation and other consented extensions (fengqiao/channels)


@action("extend", _("延长时限（当事人同意）"), inputs.ExtendInput, public=True)
def _extend(ctx: Ctx) -> None:
    """Extend the completion deadline once, by the parties' consent, within what the case's deadline
    policy allows (诉前调解: 30 days + one extension of 30)."""
    from fengqiao.supervision.calendar import load_calendar

    c = ctx.case
    allowed = c.deadline_policy.extendable_days if c.deadline_policy is not None else 0
    if allowed <= 0 or c.due_at is None:
        raise ActionInvalid(gettext("该案件的时限规则不允许延长。"))
    if CaseEvent.objects.filter(case=c, code="case.extend").exists():
        raise ActionInvalid(gettext("办理时限只能延长一次。"), {"days": [gettext("已延长过一次。")]})
    days = ctx.data["days"]
    if days > allowed:
        raise ActionInvalid(gettext("最多可延长 %(n)s 天。") % {"n": allowed}, {"days": [gettext("超过可延长天数。")]})
    unit = c.deadline_policy.unit  # type: ignore[union-attr]
    before = c.due_at
    cal = load_calendar()
    c.due_at = cal.add(before, days, unit)
    if c.red_at is not None:
        c.red_at = cal.add(c.red_at, days, unit)
    if c.yellow_at is not None:
        c.yellow_at = cal.add(c.yellow_at, days, unit)
    c.reminded_due_at = None
    ctx.reason = ctx.data["consent"]
    ctx.event_data = {"days": days, "due_before": before.isoformat(), "due_after": c.due_at.isoformat()}
