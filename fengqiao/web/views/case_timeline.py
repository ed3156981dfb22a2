"""The case page's record of what happened: its deadlines, the timeline of events (with their key data,
unit ids turned into names) and the timeline's HTML."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import codes
from fengqiao.cases.choices import Channel, Colour, Level, PartyRole, Referral, Satisfaction
from fengqiao.cases.events import via_label
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import State
from fengqiao.mediation.models import SessionOutcome
from fengqiao.org.choices import Role
from fengqiao.org.models import Unit
from fengqiao.web.templatetags.web_tags import esc
from fengqiao.web.views.common import event_title, relative

ROLE_LABELS: dict[str, Any] = {**dict(Role.choices), "citizen": _("群众"), "system": _("系统")}


@dataclass
class Deadline:
    label: Any
    due: dt.datetime | None
    done_at: dt.datetime | None
    text: str
    overdue: bool
    ticking: bool = True  # the page's script counts it down (not while the case is paused)


def deadlines(case: Case, now: dt.datetime) -> list[Deadline]:
    out = []
    for label, due, done in (
        (_("受理时限"), case.accept_due, case.accepted_at),
        (_("首次联系时限"), case.contact_due, case.first_contact_at),
        (_("办结时限"), case.due_at, case.resolved_at or case.closed_at),
    ):
        if due is None:
            continue
        live = done is None and case.is_open
        if live and case.state == State.PAUSED:  # the clock stands still while paused
            out.append(Deadline(label, due, done, gettext("中止计时中"), False, ticking=False))
            continue
        out.append(Deadline(label, due, done, relative(due, now) if live else "", live and due < now))
    return out


def unit_chains(*units: Unit | None) -> dict[int, list[Unit]]:
    """The ancestor chains (root first, the unit last) of several units in one query."""
    paths = {u.pk: [int(x) for x in u.path.strip("/").split("/") if x] for u in units if u is not None}
    by_id = Unit.objects.in_bulk({i for ids in paths.values() for i in ids})
    return {pk: [by_id[i] for i in ids if i in by_id] for pk, ids in paths.items()}


def _yes_no(value: Any) -> str:
    if value is None:
        return gettext("未填写")
    return gettext("是") if value else gettext("否")


def event_details(event: CaseEvent, units: dict[int, str]) -> list[tuple[str, str]]:
    """The key data of an event as label/value pairs (ids turned into names)."""
    d = event.data or {}
    out: list[tuple[str, str]] = []

    def unit(key: str) -> str:
        value = d.get(key)
        return units.get(int(value), str(value)) if isinstance(value, int) else ""

    if event.code == "case.register":
        after = event.after or {}
        if isinstance(after.get("owner_unit"), int):
            out.append((gettext("责任单位"), units.get(after["owner_unit"], "")))
        if after.get("channel"):
            out.append((gettext("来源渠道"), str(dict(Channel.choices).get(after["channel"], after["channel"]))))
    if d.get("to_name") or isinstance(d.get("to"), int):
        out.append((gettext("交至"), d.get("to_name") or unit("to")))
    if isinstance(d.get("unit"), int):
        out.append((gettext("单位"), unit("unit")))
    if isinstance(d.get("back_to"), int):
        out.append((gettext("退回至"), unit("back_to")))
    if d.get("handler_name"):
        out.append((gettext("承办人"), str(d["handler_name"])))
    if isinstance(d.get("level"), int):
        out.append((gettext("响应等级"), str(dict(Level.choices).get(d["level"], d["level"]))))
    if d.get("added"):
        out.append((gettext("协办单位"), "、".join(units.get(int(u), str(u)) for u in d["added"])))
    if isinstance(d.get("lead_unit"), int):
        out.append((gettext("牵头单位"), unit("lead_unit")))
    if d.get("members"):
        names = [f"{m.get('name', '')}{gettext('（首席）') if m.get('lead') else ''}" for m in d["members"]]
        out.append((gettext("调解员"), "、".join(names)))
    if event.code == "case.edit_party" and d.get("party_name"):
        role = str(dict(PartyRole.choices).get(d.get("party_role", ""), ""))
        out.append((gettext("当事人"), f"{role} {d['party_name']}".strip()))
        if d.get("new_party"):
            out.append((gettext("操作"), gettext("新增当事人")))
        labels = {
            "role": gettext("身份"),
            "kind": gettext("类别"),
            "name": gettext("姓名/名称"),
            "phone": gettext("电话"),
            "id_number": gettext("证件号码"),
            "address": gettext("住址"),
            "vulnerable": gettext("弱势群体"),
        }
        if d.get("party_fields"):
            out.append(
                (
                    gettext("更正项目") if not d.get("new_party") else gettext("已填项目"),
                    "、".join(labels.get(f, f) for f in d["party_fields"]),
                )
            )
    if event.code == "case.detach_team" and d.get("name"):
        out.append((gettext("调解员"), str(d["name"])))
    if d.get("held_at"):
        try:
            when = timezone.localtime(dt.datetime.fromisoformat(d["held_at"]))
            out.append((gettext("时间"), when.strftime("%Y-%m-%d %H:%M")))
        except (TypeError, ValueError):
            pass
    if d.get("place"):
        out.append((gettext("地点"), str(d["place"])))
    if d.get("online"):
        out.append((gettext("形式"), gettext("线上会商")))
    if d.get("outcome"):
        out.append((gettext("结果"), str(dict(SessionOutcome.choices).get(d["outcome"], d["outcome"]))))
    if d.get("method"):
        methods = {"phone": gettext("电话"), "visit": gettext("走访"), "meeting": gettext("约谈")}
        out.append((gettext("方式"), methods.get(d["method"], str(d["method"]))))
    if d.get("wait_for"):
        waits = {
            "party": gettext("等待当事人"),
            "appraisal": gettext("等待鉴定"),
            "court": gettext("等待法院"),
            "other": gettext("其他"),
        }
        out.append((gettext("中止原因"), waits.get(d["wait_for"], str(d["wait_for"]))))
    for key, label in (
        ("agreement", gettext("书面协议")),
        ("matter_settled", gettext("事了")),
        ("grievance_settled", gettext("心解")),
    ):
        if key in d and d[key] is not None:
            out.append((label, _yes_no(d[key])))
    if d.get("referral"):
        out.append((gettext("转介途径"), str(dict(Referral.choices).get(d["referral"], d["referral"]))))
    if d.get("satisfaction"):
        out.append((gettext("满意度"), str(dict(Satisfaction.choices).get(d["satisfaction"], d["satisfaction"]))))
    if event.code == "case.colour" and d.get("colour"):
        out.append((gettext("督办颜色"), str(dict(Colour.choices).get(d["colour"], d["colour"]))))
    if event.code == "case.remind" and d.get("deadline"):
        kinds = {"accept": gettext("受理时限"), "contact": gettext("首次联系时限"), "due": gettext("办结时限")}
        out.append((gettext("时限"), kinds.get(d["deadline"], str(d["deadline"]))))
    if d.get("into"):
        out.append((gettext("并入"), codes.display(str(d["into"]))))
    if d.get("fields"):
        out.append((gettext("修改项"), "、".join(str(f) for f in d["fields"])))
    return out


def timeline(case: Case) -> list[dict[str, Any]]:
    events = list(case.events.select_related("actor", "actor_unit").order_by("at", "id"))
    unit_ids: set[int] = set()
    for e in events:
        d = e.data or {}
        for key in ("to", "unit", "back_to", "lead_unit", "declined_by", "from"):
            if isinstance(d.get(key), int):
                unit_ids.add(d[key])
        unit_ids.update(int(u) for u in d.get("added") or [] if isinstance(u, int))
        if isinstance((e.after or {}).get("owner_unit"), int):
            unit_ids.add(e.after["owner_unit"])
    names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    states = dict(State.choices)
    return [
        {
            "event": e,
            "label": event_title(e.code),
            "actor": str(e.actor) if e.actor else str(ROLE_LABELS.get(e.actor_role or "system", e.actor_role)),
            "role": ROLE_LABELS.get(e.actor_role, e.actor_role),
            "unit": e.actor_unit.name if e.actor_unit else "",
            "via": via_label(e.via),
            "state_before": states.get(e.state_before, e.state_before),
            "state_after": states.get(e.state_after, e.state_after),
            "moved": e.state_before != e.state_after,
            "details": event_details(e, names),
        }
        for e in reversed(events)
    ]


def timeline_html(items: list[dict[str, Any]]) -> str:
    """The timeline's ``<li>`` items, built in Python (the template loop with its conditions per
    event cost more than the events query)."""
    tz = timezone.get_current_timezone()
    public, internal = esc(gettext("公开")), esc(gettext("内部"))
    out = []
    for t in items:
        e = t["event"]
        at = e.at.astimezone(tz)
        actor, role = str(t["actor"]), str(t["role"] or "")
        who = esc(actor)
        if role and role != actor:
            who += f"（{esc(role)}）"
        if t["unit"]:
            who += f" · {esc(t['unit'])}"
        if t["via"]:
            who += f' · <span class="muted">{esc(t["via"])}</span>'
        parts = [
            f'<li class="tl-item {"public" if e.public else "internal"}"><div class="tl-head">'
            f'<strong class="tl-label">{esc(t["label"])}</strong> '
            f'<span class="tag {"pub" if e.public else "int"}">{public if e.public else internal}</span> '
            f'<time datetime="{at.isoformat()}">{at.strftime("%Y-%m-%d %H:%M")}</time></div>',
            f'<p class="tl-who">{who}</p>',
        ]
        if t["moved"]:
            before = f"{esc(t['state_before'])} → " if t["state_before"] else ""
            parts.append(f'<p class="tl-state">{before}<strong>{esc(t["state_after"])}</strong></p>')
        if e.reason:
            parts.append(f'<p class="tl-reason">{linebreaksbr(e.reason)}</p>')
        if t["details"]:
            rows = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in t["details"])
            parts.append(f'<dl class="tl-data">{rows}</dl>')
        parts.append("</li>")
        out.append("\n".join(parts))
    return "\n".join(out)
