"""The action layer's vocabulary: errors, the actor, the action registry and shared helpers."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext
from rest_framework import serializers

from fengqiao.cases import hooks
from fengqiao.cases.choices import Level
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.policy import Grant
from fengqiao.cases.workflow import TRANSITIONS
from fengqiao.core import audit
from fengqiao.core.inputcheck import control_errors
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit, User

log = logging.getLogger(__name__)


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
    #: mediators whose cases-in-hand counter is recounted once the new state is written (those the
    #: action took off the team; the case's own team is recounted whenever the case opens or ends)
    recount: set[int] = field(default_factory=set)


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
        town_centre = _cached(("town_centre", location.pk, location.path), lambda: _town_centre(location))
        if town_centre is not None:
            return town_centre
    if actor.user is not None and actor.user.unit_id:
        return actor.user.unit  # type: ignore[return-value]
    centre = _cached(
        ("county_centre",), lambda: Unit.objects.filter(kind=UnitKind.CENTRE, is_active=True).order_by("path").first()
    )
    if centre is None:
        raise ActionInvalid(gettext("未配置县级综治中心，无法确定责任单位。"))
    return centre  # type: ignore[no-any-return]


def _town_centre(location: Unit) -> Unit | None:
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
    return None


# First-contact units per place, per process for a minute (and forgotten when a unit is saved): the
# registration request then looks up no unit it looked up before.
_OWNERS: dict[tuple[Any, ...], tuple[float, Any]] = {}
OWNER_TTL = 60.0


def _cached(key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _OWNERS.get(key)
    if hit is not None and now - hit[0] < OWNER_TTL:
        return hit[1]
    value = load()
    _OWNERS[key] = (now, value)
    return value


def forget_owners(**_: Any) -> None:
    _OWNERS.clear()


def process_cached(key: tuple[Any, ...], load: Callable[[], Any]) -> Any:
    """A per-process lookup of admin-edited data (units, types) for a minute, forgotten in this process
    when a unit or type is saved; a falsy answer (nothing found) is not kept."""
    value = _cached(("process", *key), load)
    if not value:
        _OWNERS.pop(("process", *key), None)
    return value


class FieldMemo:
    """The ``memo`` of the input serializers' relation fields (:class:`fengqiao.cases.inputs._Memo`)
    across requests: the unit and type a registration names are looked up once a minute per process,
    not once per request (issue #21: the request that creates a case makes few round trips)."""

    def __contains__(self, key: Any) -> bool:
        hit = _OWNERS.get(("field", key))
        return hit is not None and time.monotonic() - hit[0] < OWNER_TTL

    def __getitem__(self, key: Any) -> Any:
        return _OWNERS[("field", key)][1]

    def __setitem__(self, key: Any, value: Any) -> None:
        _OWNERS[("field", key)] = (time.monotonic(), value)


def initial_deadlines(case: Case, now: dt.datetime) -> None:
    """The deadlines of a new case, from the deadline keeper a later floor installed (supervision)."""
    if hooks.deadlines is not None:
        hooks.deadlines.initial(case, now)


def queue_side_effects(events: list[CaseEvent]) -> None:
    """After the commit, tell the subscribers (notify's inbox fan-out, once per action) which events
    were written. An error in a subscriber is logged, never raised into the committed action's answer."""
    ids = [e.pk for e in events]

    def send() -> None:
        for receiver, answer in hooks.events_committed.send_robust(sender=CaseEvent, event_ids=ids):
            if isinstance(answer, Exception):
                log.error("side effects of %s event(s) in %r failed: %r", len(ids), receiver, answer)

    hooks.after_commit(send)


def audit_row(code: str, actor: Actor, grant: Grant | None, case: Case, event: CaseEvent) -> dict[str, Any]:
    return {
        "action": code,
        "user": actor.user,
        "username": "" if actor.user else f"{actor.kind}:{actor.name}",
        "role": grant.role if grant else actor.kind,
        "unit_id": grant.unit.pk if grant and grant.unit else None,
        "obj": case,
        "detail": {"event": event.pk, "version": case.version, "state": case.state},
    }


def audit_rows(code: str, actor: Actor, rows: list[tuple[Grant | None, Case, CaseEvent]]) -> None:
    """One audit row per (grant, case, event), written together."""
    audit.record_many([audit_row(code, actor, g, c, e) for g, c, e in rows])


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def label_for(name: str) -> str:
    spec = ACTIONS.get(name)
    return str(spec.label) if spec else name


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
