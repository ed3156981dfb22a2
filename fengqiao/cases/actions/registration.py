"""Registration (受理登记): a thin write — validate, the case, its parties, one event, one audit row.

What is decided here, synchronously, is only what needs no model and no search (docs/architecture.md,
"Registration and triage"): the owner is the unit named by the caller, else the first-contact unit
(首接负责: the town centre of a given place, the registrar's own unit, else the county centre), the
level follows that unit or place, the deadlines come from the deadline keeper. Classification,
location from the text, risk, routing, duplicates, the team proposal and the applicant's history
follow after the commit as their own recorded step (``case.triage``, 分流完成, see
:mod:`fengqiao.cases.actions.triaged`), started by whoever subscribes to ``hooks.cases_registered``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext

from fengqiao.cases import hooks, inputs
from fengqiao.cases.actions.base import (
    ActionError,
    ActionForbidden,
    ActionInvalid,
    Actor,
    FieldMemo,
    audit_rows,
    default_owner,
    initial_deadlines,
    level_for,
    queue_side_effects,
    validate,
    validate_many,
)
from fengqiao.cases.choices import Level
from fengqiao.cases.models import Case, CaseEvent, Party
from fengqiao.cases.policy import CITIZEN_ACTIONS, Grant, scope_paths
from fengqiao.cases.workflow import State
from fengqiao.core import crypto
from fengqiao.org.choices import Role
from fengqiao.org.models import Unit

log = logging.getLogger(__name__)
REGISTRAR_ROLES: set[str] = {Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER}


def register_case(actor: Actor, data: Any, *, via: str = "") -> tuple[Case, bool]:
    """Register a new case (受理登记). Returns (case, created); a repeated external reference of the
    same source system returns the existing case instead of creating a second one."""
    values = validate(inputs.RegisterInput, data, {"memo": FieldMemo()})
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
    hand_off([reg.case])
    return reg.case, True


def hand_off(cases: list[Case]) -> None:
    """After the commit, tell the subscribers (triage) which cases were registered. When a subscriber
    finished its work at once (in-process, synchronous mode) the returned rows are refreshed."""
    if not cases:
        return
    ids = [c.pk for c in cases]

    def send() -> None:
        answers = hooks.cases_registered.send_robust(sender=Case, case_ids=ids)
        for receiver, answer in answers:
            if isinstance(answer, Exception):  # the catch-up sweep does it later; the answer stands
                log.error("hand-off of %s new case(s) to %r failed: %r", len(ids), receiver, answer)
        if any(done is True for _, done in answers):
            for c in cases:
                c.refresh_from_db()
                c.__dict__.pop("just_registered", None)

    hooks.after_commit(send)


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
    :func:`register_case` — validation, external-reference idempotency, owner, level, deadlines,
    exactly one event and one audit row per case, the same event receivers and side effects, triage
    after the commit — with set-based lookups and bulk inserts, in the caller's transaction. A row
    that fails gets its error and is not written; the others are (the caller decides whether to roll
    back). ``memo``: a dict the caller keeps across the batches of one import (units and types are
    looked up once)."""
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
    regs: list[tuple[int, _Registration]] = []
    for i, values in todo:
        try:
            regs.append((i, _prepare_registration(actor, values, now, memo)))
        except ActionError as exc:
            out[i].error = exc
    _write_registrations(actor, [r for _, r in regs], via, now)
    hand_off([r.case for _, r in regs])
    for i, reg in regs:
        out[i].case, out[i].created = reg.case, True
    for i, first in same_as.items():
        out[i].case, out[i].error = out[first].case, out[first].error
    return out


@dataclass
class _Registration:
    case: Case
    parties: list[dict[str, Any]]
    grant: Grant | None
    owner_given: bool


def _prepare_registration(
    actor: Actor, values: dict[str, Any], now: dt.datetime, memo: dict[Any, Any]
) -> _Registration:
    """Owner (given, or first contact), scope check, level and deadlines of a new case: the unsaved row."""
    location: Unit | None = values.get("location_unit")
    std = values.get("standard_address")
    if location is None and std is not None:
        location = std.grid
    given: Unit | None = values.get("owner_unit")
    owner: Unit = given or _memo_owner(location, actor, memo)

    grant: Grant | None = None
    if actor.kind == "staff":
        paths = _memo_paths(actor, memo)
        # First contact (首接负责): a place outside the registrar's scope (a grid worker's report of
        # another town) is owned by the registrar's own unit until it is escalated or transferred.
        if (
            given is None
            and actor.user is not None
            and actor.user.unit_id
            and not any(owner.path.startswith(p) for p in paths)
        ):
            owner = actor.user.unit  # type: ignore[assignment]
        matching = [p for p in paths if owner.path.startswith(p)]
        if not matching:
            raise ActionForbidden(gettext("无权向该单位登记案件。"))
        grants = [
            g
            for g in actor.user.role_grants()  # type: ignore[union-attr]
            if g.unit.path in matching and g.role in REGISTRAR_ROLES
        ]
        grant = Grant(grants[0].role, grants[0].unit) if grants else None
    elif actor.kind == "citizen" and "register" not in CITIZEN_ACTIONS:  # pragma: no cover
        raise ActionForbidden(gettext("无权登记。"))

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
        level=level_for(location or owner, Level.BLUE),
        registered_by=actor.user,
        created_at=now,
        state=State.REGISTERED,
        version=1,
        triage_pending=True,  # the triage drain's work list (cases.actions.triaged)
    )
    initial_deadlines(case, now)
    case.fill_paths()
    return _Registration(case, parties, grant, given is not None)


def _memo_owner(location: Unit | None, actor: Actor, memo: dict[Any, Any]) -> Unit:
    key = ("default_owner", location.pk if location is not None else None, actor.user.pk if actor.user else None)
    if key not in memo:
        memo[key] = default_owner(location, actor)
    return memo[key]  # type: ignore[no-any-return]


def _memo_paths(actor: Actor, memo: dict[Any, Any]) -> list[str]:
    key = ("registrar_paths", actor.user.pk if actor.user else None)
    if key not in memo:
        memo[key] = scope_paths(actor.user, REGISTRAR_ROLES)
    return memo[key]  # type: ignore[no-any-return]


def _write_registrations(actor: Actor, regs: list[_Registration], via: str, now: dt.datetime) -> None:
    """Insert prepared registrations: cases, parties, one event and one audit row each, then the event
    receivers (the applicant's message, webhooks) and the side effects after the commit."""
    if not regs:
        return
    # A savepoint only where a concurrent duplicate reference may be refused and answered (register_case).
    with transaction.atomic(savepoint=any(r.case.external_ref for r in regs)):
        Case.objects.bulk_create([r.case for r in regs])
        parties = [(r, _party(r.case, p)) for r in regs for p in r.parties]
        Party.objects.bulk_create([p for _, p in parties])
        for r in regs:  # the event receivers (the applicant's SMS) read them without a query
            r.case.registered_parties = [p for owner, p in parties if owner is r]  # type: ignore[attr-defined]
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
                # triage reads it: a unit the registrar named keeps the case, whatever the routing says
                data={"owner": "given"} if r.owner_given else {"owner": "first_contact"},
                public=True,
                version=r.case.version,
            )
            for r in regs
        ]
        CaseEvent.objects.bulk_create(events)
        audit_rows("case.register", actor, [(r.grant, r.case, e) for r, e in zip(regs, events, strict=True)])
        using = transaction.get_connection().alias
        for e in events:
            # bulk_create sends no signals: the receivers (the applicant's message, webhooks) run as for save().
            post_save.send(CaseEvent, instance=e, created=True, update_fields=None, raw=False, using=using)
        for r in regs:
            # What the answer shows of a case written in this very request, without asking again: its
            # parties as written, and no reveal grant, assisting unit or team yet (hand_off drops it when
            # triage finished in-process and the row was read again).
            r.case.just_registered = {"parties": r.case.registered_parties}  # type: ignore[attr-defined]
            del r.case.registered_parties  # type: ignore[attr-defined]
        if not hooks.cases_registered.has_listeners(Case):
            queue_side_effects(events)
        # else the triage step that follows queues them with its own (record_triage): one inbox fan-out
        # per batch instead of one per registration, and the "new case" notice reaches the desk of the
        # unit that holds the case after triage, not the first-contact unit it may leave a second later.


def _party(case: Case, p: dict[str, Any]) -> Party:
    party = Party(case=case, **p)
    # bulk_create skips save(): compute the search hashes here.
    party.phone_hash = crypto.search_hash(party.phone) if party.phone else ""
    party.id_hash = crypto.search_hash(party.id_number, "id") if party.id_number else ""
    return party
