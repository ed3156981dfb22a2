"""The supervision sweep: colours, deadline reminders and instruction reminders.

Set-based and idempotent: each step selects the cases that crossed a threshold with an indexed
query, locks them (``SKIP LOCKED`` on PostgreSQL, so two sweeps never take the same rows), and in
one transaction per batch changes them only if they are still in the old condition, writes one
event per case, the inbox notifications and the queued SMS (deduplicated). A sweep killed halfway
leaves whole batches done and the rest for the next run; running it twice changes nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fengqiao.cases import codes
from fengqiao.cases.choices import Colour
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.core import audit
from fengqiao.notify.models import Notification, OutboundMessage
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit, User
from fengqiao.supervision.models import Instruction

CLOCK_STATES = sorted(OPEN_STATES - {State.PAUSED})
WAITING_ACCEPT = [State.REGISTERED, State.DISPATCHED]
COLOUR_WORDS: dict[str, str] = {Colour.YELLOW: "黄码", Colour.RED: "红码"}
DEADLINE_WORDS = {"accept": "受理", "contact": "首次联系", "due": "办结"}


@dataclass
class SweepReport:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, key: str, n: int) -> None:
        if n:
            self.counts[key] += n

    def __str__(self) -> str:
        if not self.counts:
            return "nothing to do"
        return ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))


class Directory:
    """Who leads what, and who handles what, loaded once per sweep."""

    def __init__(self) -> None:
        self.leaders_at: dict[int, list[int]] = defaultdict(list)
        for unit_id, user_id in RoleAssignment.objects.filter(role=Role.LEADER, user__is_active=True).values_list(
            "unit_id", "user_id"
        ):
            self.leaders_at[unit_id].append(user_id)
        self.kind = dict(Unit.objects.values_list("pk", "kind"))
        self.desk_at: dict[int, list[int]] = defaultdict(list)
        for unit_id, user_id in RoleAssignment.objects.filter(
            role__in=[Role.DISPATCHER, Role.HANDLER], user__is_active=True
        ).values_list("unit_id", "user_id"):
            self.desk_at[unit_id].append(user_id)
        self._mobiles: dict[int, str] = {}

    def mobile(self, user_id: int) -> str:
        if user_id not in self._mobiles:
            self._mobiles[user_id] = User.objects.filter(pk=user_id).values_list("mobile", flat=True).first() or ""
        return self._mobiles[user_id]

    @staticmethod
    def chain(*paths: str) -> list[int]:
        ids: list[int] = []
        for p in paths:
            ids.extend(int(x) for x in p.strip("/").split("/") if x)
        return ids

    def heads_for(self, colour: str, owner_path: str, location_path: str) -> set[int]:
        """Yellow: the town's and the department's heads. Red: the county leaders in charge."""
        chain = self.chain(owner_path, location_path)
        wanted: tuple[str, ...] = (
            (UnitKind.TOWN, UnitKind.DEPARTMENT) if colour == Colour.YELLOW else (UnitKind.COUNTY,)
        )
        users: set[int] = set()
        for unit_id in chain:
            if self.kind.get(unit_id) in wanted:
                users.update(self.leaders_at.get(unit_id, ()))
        return users

    def desk_for(self, owner_path: str) -> set[int]:
        chain = self.chain(owner_path)
        for unit_id in reversed(chain):  # the owner unit, else the nearest ancestor with a desk
            if self.desk_at.get(unit_id):
                return set(self.desk_at[unit_id])
        return set()


def _locked(qs: Any, batch: int) -> Any:
    return qs.select_for_update(skip_locked=True, of=("self",))[:batch]


def _write(events: list[CaseEvent], notes: list[tuple[int, int, str]], sms: list[OutboundMessage]) -> None:
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    by_case = {e.case_id: e for e in events}
    Notification.objects.bulk_create(
        [Notification(user_id=u, case_id=c, event=by_case[c], kind=k) for u, c, k in notes if c in by_case],
        ignore_conflicts=True,
        batch_size=1000,
    )
    OutboundMessage.objects.bulk_create(sms, ignore_conflicts=True, batch_size=1000)


def _sms(d: Directory, user_id: int, text: str, key: str, case_id: int) -> OutboundMessage | None:
    phone = d.mobile(user_id)
    if not phone:
        return None
    return OutboundMessage(
        channel="sms", recipient=phone, text=text, dedup_key=key[:160], case_id=case_id, template="supervision"
    )


def colour_step(d: Directory, new: str, now: dt.datetime, batch: int, report: SweepReport) -> None:
    field_at = "red_at" if new == Colour.RED else "yellow_at"
    old_colours = [Colour.GREEN, Colour.YELLOW] if new == Colour.RED else [Colour.GREEN]
    while True:
        with transaction.atomic():
            qs = Case.objects.filter(colour__in=old_colours, **{f"{field_at}__lte": now}, state__in=CLOCK_STATES)
            rows = list(
                _locked(qs.order_by(), batch).values_list(
                    "pk", "colour", "version", "state", "owner_path", "location_path", "code", "title"
                )
            )
            if not rows:
                return
            ids = [r[0] for r in rows]
            changed = Case.objects.filter(pk__in=ids, colour__in=old_colours).update(
                colour=new, version=F("version") + 1
            )
            events, notes, sms = [], [], []
            per_leader: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
            for pk, old, version, state, owner_path, location_path, code, title in rows:
                events.append(
                    CaseEvent(
                        case_id=pk,
                        code="case.colour",
                        via="sweep",
                        at=now,
                        state_before=state,
                        state_after=state,
                        before={"colour": old},
                        after={"colour": new},
                        data={"colour": new},
                        version=version + 1,
                    )
                )
                for user_id in d.heads_for(new, owner_path, location_path):
                    notes.append((user_id, pk, f"colour_{new}"))
                    per_leader[user_id].append((pk, code, title))
            # One inbox notification per case and leader; one SMS per leader and batch (a digest when
            # several cases changed at once: a minute's sweep usually holds one or two).
            for user_id, items in per_leader.items():
                first_pk, code, title = items[0]
                if len(items) == 1:
                    text = (
                        f"【枫桥督办】案件{codes.display(code)}「{title[:20]}」已转{COLOUR_WORDS[new]}，"
                        f"请督促责任单位限期办理。"
                    )
                else:
                    text = (
                        f"【枫桥督办】案件{codes.display(code)}等{len(items)}件已转{COLOUR_WORDS[new]}，"
                        f"请登录枫桥平台查看并督促办理。"
                    )
                key = (
                    f"colour:{new}:{user_id}:{first_pk}"
                    if len(items) == 1
                    else f"colour:{new}:{user_id}:{first_pk}+{len(items)}"
                )
                msg = _sms(d, user_id, text, key, first_pk)
                if msg is not None:
                    sms.append(msg)
            _write(events, notes, sms)
            audit.record("sweep.colour", detail={"colour": new, "cases": changed, "first": ids[0], "last": ids[-1]})
            report.add(f"to_{new}", changed)
            report.add("leader_pushes", len(notes))


def reminder_step(d: Directory, kind: str, now: dt.datetime, batch: int, report: SweepReport) -> None:
    """One reminder to the handler 24 hours before a deadline (accept, first contact, completion)."""
    horizon = now + dt.timedelta(hours=24)
    if kind == "accept":
        qs = Case.objects.filter(state__in=WAITING_ACCEPT, accept_due__gt=now, accept_due__lte=horizon)
        due_field = "accept_due"
    elif kind == "contact":
        qs = Case.objects.filter(
            state__in=CLOCK_STATES, first_contact_at__isnull=True, contact_due__gt=now, contact_due__lte=horizon
        )
        due_field = "contact_due"
    else:
        qs = Case.objects.filter(state__in=CLOCK_STATES, due_at__gt=now, due_at__lte=horizon)
        due_field = "due_at"
    flag = f"reminded_{kind}_at"
    qs = qs.filter(**{f"{flag}__isnull": True})
    while True:
        with transaction.atomic():
            rows = list(
                _locked(qs.order_by("pk"), batch).values_list(
                    "pk",
                    "handler_id",
                    "owner_path",
                    "pending_path",
                    "code",
                    "title",
                    due_field,
                    "state",
                    "version",
                )
            )
            if not rows:
                return
            Case.objects.filter(pk__in=[r[0] for r in rows], **{f"{flag}__isnull": True}).update(
                **{flag: now}, version=F("version") + 1
            )
            events, notes, sms = [], [], []
            for pk, handler_id, owner_path, pending_path, code, title, due, state, version in rows:
                events.append(
                    CaseEvent(
                        case_id=pk,
                        code="case.remind",
                        via="sweep",
                        at=now,
                        state_before=state,
                        state_after=state,
                        data={"deadline": kind, "due": due.isoformat()},
                        version=version + 1,
                    )
                )
                users = {handler_id} if handler_id else d.desk_for(pending_path or owner_path)
                text = (
                    f"【枫桥提醒】案件{codes.display(code)}「{title[:20]}」{DEADLINE_WORDS[kind]}时限将于"
                    f"{timezone.localtime(due):%m月%d日%H:%M}到期。"
                )
                for user_id in users:
                    notes.append((user_id, pk, "deadline"))
                    msg = _sms(d, user_id, text, f"remind:{pk}:{kind}:{user_id}", pk)
                    if msg is not None:
                        sms.append(msg)
            _write(events, notes, sms)
            report.add(f"remind_{kind}", len(events))


def instruction_step(d: Directory, now: dt.datetime, batch: int, report: SweepReport) -> None:
    days = settings.FENGQIAO_INSTRUCTION_REMIND_DAYS
    while True:
        with transaction.atomic():
            qs = Instruction.objects.filter(
                answered_at__isnull=True, reminded_at__isnull=True, created_at__lte=now - dt.timedelta(days=days)
            )
            items = list(qs.select_for_update(skip_locked=True).select_related("case").order_by("pk")[:batch])
            if not items:
                return
            Instruction.objects.filter(pk__in=[i.pk for i in items], reminded_at__isnull=True).update(reminded_at=now)
            events, notes, sms = [], [], []
            for item in items:
                case = item.case
                Case.objects.filter(pk=case.pk).update(version=F("version") + 1)
                events.append(
                    CaseEvent(
                        case=case,
                        code="case.instruction_remind",
                        via="sweep",
                        at=now,
                        state_before=case.state,
                        state_after=case.state,
                        data={"instruction": item.pk},
                        version=case.version + 1,
                    )
                )
                users = {case.handler_id} if case.handler_id else d.desk_for(case.owner_path)
                text = f"【枫桥催办】案件{case.display_code}的领导批示已{days}天未回复，请尽快办理并回复。"
                for user_id in users:
                    notes.append((user_id, case.pk, "instruction"))
                    msg = _sms(d, user_id, text, f"instr:{item.pk}:{user_id}", case.pk)
                    if msg is not None:
                        sms.append(msg)
            _write(events, notes, sms)
            report.add("instruction_reminders", len(events))


def sweep(now: dt.datetime | None = None, batch: int = 2000) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    d = Directory()
    colour_step(d, Colour.RED, now, batch, report)
    colour_step(d, Colour.YELLOW, now, batch, report)
    for kind in ("accept", "contact", "due"):
        reminder_step(d, kind, now, batch, report)
    instruction_step(d, now, batch, report)
    return report
