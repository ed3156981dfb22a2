"""An accountability record's evidence as a supervisor reads it: the events and cases it rests on
as tables, and its measured values as labelled facts in local time — never the stored JSON."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import codes
from fengqiao.cases.events import event_label, via_label
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.org.models import Unit
from fengqiao.supervision.models import AccountabilityRecord

# How each measured value of ``AccountabilityRecord.evidence`` reads, in the order shown.
FACT_LABELS: dict[str, Any] = {
    "received_at": _("收到时间"),
    "registered_at": _("登记时间"),
    "delay_hours": _("延迟登记（小时）"),
    "accepted_at": _("受理时间"),
    "days": _("受理后天数"),
    "source": _("来源"),
    "back_and_forth": _("在两个单位之间来回推送"),
    "moves": _("流转经过"),
    "count": _("超期案件数"),
}
SHOWN_AS_TABLES = {"events", "cases"}


@dataclass
class Evidence:
    facts: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[CaseEvent, str, str]] = field(default_factory=list)  # event, label, who
    cases: list[Case] = field(default_factory=list)
    case_count: int = 0  # the number the record states (may exceed the cases listed)


def _local(value: Any) -> str:
    when = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(when, dt.datetime):
        return str(value)
    if timezone.is_naive(when):
        when = timezone.make_aware(when, dt.UTC)
    return f"{timezone.localtime(when):%Y-%m-%d %H:%M}"


def _moves(moves: list[Any]) -> str:
    ids = {int(u) for m in moves for u in m if str(u).isdigit()}
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    steps = []
    for m in moves:
        a, b = (names.get(int(u), gettext("未知单位")) if str(u).isdigit() else "—" for u in [*list(m), None, None][:2])
        steps.append(f"{a} → {b}")
    return "；".join(steps)


def _fact(key: str, value: Any) -> str:
    if key.endswith("_at"):
        return _local(value)
    if key == "source":
        return via_label(str(value))
    if key == "moves":
        return _moves(value or [])
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    return str(value)


def evidence_of(record: AccountabilityRecord) -> Evidence:
    raw: dict[str, Any] = record.evidence or {}
    out = Evidence()
    for key, label in FACT_LABELS.items():
        if key in raw and raw[key] not in (None, "", []):
            out.facts.append((str(label), _fact(key, raw[key])))
    event_ids = [int(e) for e in raw.get("events", []) if str(e).isdigit()]
    for e in CaseEvent.objects.filter(pk__in=event_ids).select_related("case", "actor", "actor_unit").order_by("at"):
        who = str(e.actor) if e.actor else via_label(e.via)
        out.events.append((e, event_label(e.code), who))
    listed = [codes.normalise(str(c)) for c in raw.get("cases", [])]
    if listed:
        found = {c.code: c for c in Case.objects.filter(code__in=listed).select_related("owner_unit", "handler")}
        out.cases = [found[c] for c in listed if c in found]
        out.case_count = int(raw.get("count") or len(listed))
    return out
