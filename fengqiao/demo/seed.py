"""The demo county: Xianju (仙居县) with its real towns and villages, departments, grids, standard
addresses, mediators, one login per role and a few hundred cases walked through the real action
layer over the last 90 days (time-machine moves the clock, so events and audit rows carry the
times at which they would have happened)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import time_machine
from django.db import transaction
from django.utils import timezone

from fengqiao.cases.actions import ActionError, Actor, perform, register_case
from fengqiao.cases.models import Case, Category
from fengqiao.demo.people import (  # noqa: F401 - DEMO_PASSWORD, DATA and _json are read from here too
    COUNTY,
    DATA,
    DEMO_PASSWORD,
    KIND_BY_LABEL,
    Logins,
    PeopleSeed,
    _json,
    _user,
)
from fengqiao.mediation.models import Mediator
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import StandardAddress, Unit, User


class DemoBuilder(PeopleSeed):
    def __init__(self, seed: int = 20261123, cases: int = 300, out: Any = None):
        self.rng = random.Random(seed)
        self.n_cases = cases
        self.out = out
        self.people = _json("people.json")
        self.logins = Logins()

    # -- people -----------------------------------------------------------------------------
    def build_cases(self) -> int:
        if Case.objects.exists():
            return Case.objects.count()
        texts = _json("case_texts.json")
        events_text = _json("events_text.json") if (DATA / "events_text.json").exists() else {}
        self.events_text = events_text
        categories = {c.code: c for c in Category.objects.all()}
        now = timezone.now()
        made = 0
        self.rng.shuffle(texts)
        for i in range(self.n_cases):
            item = texts[i % len(texts)]
            states, weights, min_ages = zip(*[(s, w, a) for s, w, a in self.OUTCOMES], strict=True)
            target = self.rng.choices(states, weights)[0]
            min_age = dict(zip(states, min_ages, strict=True))[target]
            age_days = (
                self.rng.uniform(max(min_age, 0.05), 90)
                if target not in ("registered", "dispatched")
                else self.rng.uniform(0.02, 12)
            )
            start = now - dt.timedelta(days=age_days)
            try:
                self._walk(item, categories, target, start, now)
                made += 1
            except ActionError as exc:  # pragma: no cover - a scenario the rules refuse: report it
                self.log(f"跳过一个案件: {exc.message} {exc.errors}\n")
        return made

    def _phrase(self, key: str, default: str) -> str:
        options = self.events_text.get(key) or [default]
        return str(self.rng.choice(options))

    def _walk(
        self,
        item: dict[str, Any],
        categories: dict[str, Category],
        target: str,
        start: dt.datetime,
        now: dt.datetime,
    ) -> None:
        rng = self.rng
        town = rng.choice(self.towns)
        villages = self.villages.get(town.pk) or []
        village = rng.choice(villages) if villages else None
        grids = self.grids.get(village.pk, []) if village else []
        grid = rng.choice(grids) if grids else None
        staff = self.town_staff[town.pk]
        clock = {"t": start}
        span = max((now - start).total_seconds(), 3600)

        def step(fraction: float = 0.08) -> dt.datetime:
            clock["t"] = min(clock["t"] + dt.timedelta(seconds=span * fraction * rng.uniform(0.3, 1.0)), now)
            return clock["t"]

        def act(name: str, user: User, data: dict[str, Any] | None = None, case: Case | None = None) -> None:
            with time_machine.travel(step(), tick=False):
                perform(name, case or state["case"], Actor.staff(user), data or {}, via="demo")

        channel = rng.choices(
            ["qr", "walk_in", "phone", "grid", "hotline", "web", "police", "petition"],
            [22, 18, 14, 18, 14, 6, 5, 3],
        )[0]
        registrar = {
            "grid": self.grid_workers.get(grid.pk) if grid else None,
            "hotline": self.county_dispatcher,
            "police": self.county_dispatcher,
            "petition": self.county_dispatcher,
        }.get(channel) or staff["dispatcher"]
        if channel == "grid" and grid is not None and grid.pk not in self.grid_workers:
            registrar = staff["dispatcher"]
        applicant = {
            "role": "applicant",
            "name": self.person_name(),
            "phone": self.phone(),
            "vulnerable": rng.random() < 0.08,
        }
        if rng.random() < 0.3:
            applicant["id_number"] = self.id_number()
        parties = [applicant]
        if item.get("respondent"):
            kind = item.get("respondent_kind") or "person"
            parties.append(
                {
                    "role": "respondent",
                    "kind": kind,
                    "name": item["respondent"] if kind == "org" else self.person_name(),
                    "phone": self.phone() if kind == "person" and rng.random() < 0.7 else "",
                }
            )
        addr = StandardAddress.objects.filter(grid=grid).first() if grid is not None else None
        payload = {
            "title": item["title"],
            "description": item["description"],
            "channel": channel,
            "category": item["category"] if item["category"] in categories else None,
            "location_unit": (grid or village or town).pk,
            "standard_address": addr.pk if addr and rng.random() < 0.6 else None,
            "address_text": addr.full_text if addr else town.name,
            "people_count": int(item.get("people") or 1),
            "risk": item.get("risk_hint") or "low",
            "priority": 3 if item.get("risk_hint") == "high" else 2,
            "parties": parties,
            "received_at": (start - dt.timedelta(hours=rng.choice([1, 2, 3, 6, 30, 48]))).isoformat()
            if channel in ("hotline", "police", "petition", "grid")
            else None,
        }
        if registrar == self.county_dispatcher:
            payload["owner_unit"] = self.centre.pk
        elif registrar.has_role(Role.GRID_WORKER):
            payload["owner_unit"] = grid.pk if grid else None
        with time_machine.travel(start, tick=False):
            case, _ = register_case(Actor.staff(registrar), payload, via="demo")
        state = {"case": case}
        if target == "registered":
            return
        if target == "withdrawn" and rng.random() < 0.5:
            act(
                "withdraw",
                registrar,
                {"reason": self._phrase("withdraw_reason", "当事人表示已自行协商解决，申请撤回。")},
            )
            return
        # Route: county centre and grid-level cases pass through the town centre.
        owner = case.owner_unit
        dept = None
        if owner.kind == UnitKind.CENTRE:
            if rng.random() < 0.35:
                dept = self._department_for(item["category"])
            dest = dept or self.subcentres[town.pk]
            act("assign_unit", registrar, {"unit": dest.pk, "reason": "按属地和事权交办"})
            if target == "dispatched":
                return
            receiver = self.dept_staff[dest.pk] if dept else staff["handler"]
            act("accept", receiver, {"reason": self._phrase("accept_note", "已接收，马上安排处理。")})
        elif owner.kind == UnitKind.GRID:
            worker = registrar
            act("accept", worker)
            if target in ("dispatched",) or rng.random() < 0.5:
                act(
                    "escalate",
                    worker,
                    {"reason": self._phrase("escalate_reason", "网格层面难以化解，上报乡镇。")},
                )
                if target == "dispatched":
                    return
                act("accept", staff["handler"])
            else:
                dept = None
                if target in ("resolved", "closed", "archived") and rng.random() < 0.6:
                    act("first_contact", worker, {"method": "visit", "note": "网格员上门了解情况"})
                    act("resolve", worker, self._resolution(True))
                    self._finish(target, worker, staff, act, case)
                    return
                act(
                    "escalate",
                    worker,
                    {"reason": self._phrase("escalate_reason", "网格层面难以化解，上报乡镇。")},
                )
                act("accept", staff["handler"])
        else:
            if target == "dispatched":
                dest = self._department_for(item["category"]) or self.taskforce
                act("accept", staff["handler"])
                act(
                    "transfer",
                    staff["handler"],
                    {"unit": dest.pk, "reason": self._phrase("transfer_reason", "属部门事权，转办。")},
                )
                return
            act("accept", staff["handler"])
        handler = self.dept_staff[dept.pk] if dept else rng.choice([staff["handler"], staff["handler2"]])
        if target == "accepted":
            return
        lead_user = self.dept_staff[dept.pk] if dept else staff["dispatcher"]
        act(
            "assign_person",
            lead_user if lead_user.has_role(Role.DISPATCHER, Role.HANDLER) else handler,
            {"handler": handler.pk},
        )
        act(
            "first_contact",
            handler,
            {
                "method": rng.choice(["phone", "visit", "meeting"]),
                "note": "已电话联系双方当事人，了解基本情况。",
            },
        )
        if target == "withdrawn":
            act("withdraw", handler, {"reason": self._phrase("withdraw_reason", "当事人申请撤回。")})
            return
        if target == "merged":
            other = (
                Case.objects.filter(owner_unit=case.owner_unit, state__in=["in_progress", "mediating"])
                .exclude(pk=case.pk)
                .first()
            )
            if other is not None:
                act("merge", handler, {"into": other.code, "reason": "同一事项重复反映，合并办理。"})
                return
        if target == "in_progress":
            return
        if rng.random() < 0.15 and not dept:
            d2 = self._department_for(item["category"])
            if d2 is not None:
                act("add_assist", handler, {"units": [d2.pk], "reason": "涉及部门事权，邀请协办。"})
                act(
                    "joint_meeting",
                    handler,
                    {
                        "held_at": clock["t"].isoformat(),
                        "attendees": f"{town.name}综治中心、{d2.name}、村两委",
                        "minutes": self._phrase("joint_meeting_minutes", "各方通报情况，明确分工。"),
                        "decisions": "由乡镇牵头、部门配合，一周内拿出化解方案。",
                    },
                )
        team = self._team_for(town, item["category"])
        act(
            "attach_team",
            handler,
            {
                "members": [
                    {
                        "mediator": m.pk,
                        "is_lead": i == 0,
                        "reason": "擅长该类纠纷、熟悉当地情况" if i == 0 else "专业支持",
                    }
                    for i, m in enumerate(team)
                ]
            },
        )
        for _ in range(rng.randint(1, 3)):
            online = rng.random() < 0.2
            act(
                "record_session",
                handler,
                {
                    "held_at": clock["t"].isoformat(),
                    "place": "" if online else self._phrase("session_places", f"{town.name}矛调中心调解室"),
                    "online_url": f"https://meeting.example.cn/room/{rng.randint(100000, 999999)}" if online else "",
                    "participants": "双方当事人、调解员、村干部",
                    "notes": self._phrase("session_notes", "双方陈述各自诉求，调解员释法说理，约定下次继续协商。"),
                    "outcome": "ongoing",
                },
            )
        if target == "mediating":
            return
        if target == "paused":
            act(
                "pause",
                handler,
                {"reason": rng.choice(["party", "appraisal", "court"]), "note": "等待伤情鉴定结果"},
            )
            return
        if target == "unresolved":
            act(
                "refer",
                handler,
                {
                    "referral": rng.choice(["litigation", "arbitration", "administrative"]),
                    "reason": self._phrase("unresolved_reason", "双方分歧较大，引导通过诉讼解决。"),
                },
            )
            return
        act("resolve", handler, self._resolution(rng.random() < 0.7))
        self._finish(target, handler, staff, act, case)

    def _finish(self, target: str, handler: User, staff: dict[str, User], act: Any, case: Case) -> None:
        rng = self.rng
        if target == "resolved":
            return
        good = rng.random() < 0.9
        act(
            "return_visit",
            handler,
            {
                "method": "phone",
                "matter_settled": True,
                "grievance_settled": good,
                "note": "电话回访，当事人表示协议已履行。",
            },
        )
        act(
            "rate",
            handler,
            {
                "satisfaction": rng.choice(["satisfied", "satisfied", "basic"]) if good else "unsatisfied",
                "comment": self._phrase("rating_comment_good" if good else "rating_comment_bad", ""),
            },
        )
        act("close", handler)
        if target == "archived":
            # The owner unit archives: the town's dispatcher for its own cases, else (a department's case)
            # the handler who closed it — both hold the archive right there.
            town_case = case.owner_unit_id == staff["dispatcher"].unit_id
            act("archive", staff["dispatcher"] if town_case else handler)

    def _resolution(self, agreement: bool) -> dict[str, Any]:
        return {
            "agreement": agreement,
            "matter_settled": True,
            "grievance_settled": self.rng.random() < 0.85,
            "result": self._phrase("agreement_summary", "双方达成调解协议，约定按期履行。"),
        }

    def _department_for(self, category: str) -> Unit | None:
        l1 = category[:2]
        options = [
            self.departments[s] for s, cats in self.dept_categories.items() if l1 in cats and s in self.departments
        ]
        return self.rng.choice(options) if options else None

    def _team_for(self, town: Unit, category: str) -> list[Mediator]:
        l1 = category[:2]
        local = [m for m in self.mediators if m.unit_id in (town.pk, self.subcentres[town.pk].pk)]
        expert = [m for m in self.mediators if l1 in (m.specialties or [])]
        team: list[Mediator] = []
        for pool in (local, expert, self.mediators):
            for m in self.rng.sample(pool, k=min(len(pool), 2)):
                if m not in team and len(team) < self.rng.randint(2, 3):
                    team.append(m)
        return team

    def build(self) -> None:
        with transaction.atomic():
            self.build_org()
            self.build_users()
            self.build_mediators()
        from django.core.management import call_command

        call_command("triage-setup", stdout=self.out)  # shipped classifiers + risk lexicon, before the cases
        made = self.build_cases()
        self.log(f"案件: {made}\n")
        from fengqiao.demo.triage import seed_triage

        self.log(f"智能分流: {seed_triage()}\n")
        from fengqiao.channels.demo import seed_channels

        self.log(f"对接系统: {seed_channels()}\n")
        from fengqiao.supervision.sweep import sweep

        self.log(f"督办扫描: {sweep()}\n")
        from fengqiao.supervision.accountability import detect

        self.log(f"问责线索: {dict(detect())}\n")
        from fengqiao.evaluation.demo import seed_evaluation

        self.log(f"考评反馈: {seed_evaluation()}\n")
        from fengqiao.atlas.demo import seed_atlas

        self.log(f"一张图: {seed_atlas()}\n")
        from fengqiao.core.tasks import drain_all
        from fengqiao.early_warning.demo import seed_warnings

        drain_all()  # every case's triage done before the warning models read it

        self.log(f"预警研判: {seed_warnings()}\n")
        from fengqiao.knowledge.demo import seed_knowledge

        self.log(f"知识库: {seed_knowledge(self, password=DEMO_PASSWORD)}\n")
        from fengqiao.mediation.demo import seed_mediation

        self.log(f"调解协议与日程: {seed_mediation()}\n")
        from fengqiao.knowledge.demo import seed_library

        self.log(f"案例库: {seed_library()}\n")
        from fengqiao.gridwork.demo import seed_gridwork

        self.log(f"网格工作: {seed_gridwork(self)}\n")
        from fengqiao.gridwork.demo import seed_volunteers

        self.log(f"平安志愿: {seed_volunteers(self)}\n")
        from fengqiao.triage.demo_learning import seed_learning

        self.log(f"分流学习: {seed_learning()}\n")
        # The steps after the warnings seed registered cases too (grid reports, mediation, learning): run the
        # models once more on the finished history, so the demo shows what they find and the next run
        # (the scheduler's) raises nothing new.
        from fengqiao.early_warning.engine import run as run_warnings

        drain_all()
        again = run_warnings(full=True)
        self.log(f"预警复核: 新增 {len(again.raised)}，更新 {len(again.updated)}，关闭 {len(again.closed)}\n")
