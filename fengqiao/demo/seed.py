"""The demo county: Xianju (仙居县) with its real towns and villages, departments, grids, standard
addresses, mediators, one login per role and a few hundred cases walked through the real action
layer over the last 90 days (time-machine moves the clock, so events and audit rows carry the
times at which they would have happened)."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import time_machine
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from fengqiao.cases.actions import ActionError, Actor, perform, register_case
from fengqiao.cases.models import Case, Category
from fengqiao.core.validators import id_number_check_char
from fengqiao.mediation.models import Mediator, MediatorKind
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.divisions import load_county
from fengqiao.org.models import RoleAssignment, StandardAddress, Unit, User

DATA = Path(__file__).parent / "data"
COUNTY = "331024"
DEMO_PASSWORD = "Fengqiao-demo-2026"  # noqa: S105 - printed at start, demo only

KIND_BY_LABEL = {label: value for value, label in MediatorKind.choices}


def _json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@dataclass
class Logins:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role label, unit)


def _user(username: str, name: str, unit: Unit, grants: list[tuple[str, Unit]], pw_hash: str, **extra: Any) -> User:
    user, _created = User.objects.get_or_create(
        username=username, defaults={"display_name": name, "unit": unit, "password": pw_hash, **extra}
    )
    for role, scope in grants:
        RoleAssignment.objects.get_or_create(user=user, unit=scope, role=role)
    return user


class DemoBuilder:
    def __init__(self, seed: int = 20261123, cases: int = 300, out: Any = None):
        self.rng = random.Random(seed)
        self.n_cases = cases
        self.out = out
        self.people = _json("people.json")
        self.logins = Logins()

    def log(self, msg: str) -> None:
        if self.out is not None:
            self.out.write(msg)

    # -- people -----------------------------------------------------------------------------
    def person_name(self) -> str:
        surname = self.rng.choice(self.people["surnames"][:40] if self.rng.random() < 0.8 else self.people["surnames"])
        given = self.rng.choice(self.people["given_male"] if self.rng.random() < 0.5 else self.people["given_female"])
        return surname + given

    def phone(self) -> str:
        return self.rng.choice(["13", "15", "17", "18", "19"]) + "".join(
            self.rng.choice("0123456789") for _ in range(9)
        )

    def id_number(self) -> str:
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=self.rng.randint(0, 365 * 60))
        body = f"331024{birth:%Y%m%d}{self.rng.randint(0, 999):03d}"
        return body + id_number_check_char(body)

    # -- organisation -----------------------------------------------------------------------
    def build_org(self) -> None:
        counts = load_county(COUNTY, grids_per_village=2)
        self.log(f"区划: {counts}\n")
        self.county = Unit.objects.get(code=COUNTY)
        self.centre = Unit.objects.get(code=f"{COUNTY}-ZZZX")
        self.taskforce, _ = Unit.objects.get_or_create(
            code=f"{COUNTY}-ZB",
            defaults={
                "name": "仙居县矛盾纠纷化解工作专班",
                "short_name": "县级专班",
                "kind": UnitKind.TASKFORCE,
                "parent": self.county,
            },
        )
        self.departments: dict[str, Unit] = {}
        for d in _json("departments.json"):
            if d["short"] == "县矛调中心":  # the county centre already exists as a unit of its own
                continue
            unit, _ = Unit.objects.get_or_create(
                code=f"{COUNTY}-{d['code']}",
                defaults={
                    "name": d["name"],
                    "short_name": d["short"],
                    "kind": UnitKind.DEPARTMENT,
                    "parent": self.county,
                },
            )
            self.departments[d["short"]] = unit
        self.dept_categories = {d["short"]: d["categories"] for d in _json("departments.json")}
        self.towns = list(Unit.objects.filter(kind=UnitKind.TOWN, parent=self.county).order_by("code"))
        self.subcentres = {u.parent_id: u for u in Unit.objects.filter(kind=UnitKind.SUBCENTRE)}
        self.villages: dict[int, list[Unit]] = {}
        for v in Unit.objects.filter(kind=UnitKind.VILLAGE).order_by("code"):
            self.villages.setdefault(v.parent_id, []).append(v)  # type: ignore[arg-type]
        self.grids: dict[int, list[Unit]] = {}
        for g in Unit.objects.filter(kind=UnitKind.GRID).order_by("code"):
            self.grids.setdefault(g.parent_id, []).append(g)  # type: ignore[arg-type]
        if not StandardAddress.objects.exists():
            rows = []
            for village_id, grids in self.grids.items():
                village = next(v for vs in self.villages.values() for v in vs if v.pk == village_id)
                town = next(t for t in self.towns if t.pk == village.parent_id)
                for gi, grid in enumerate(grids):
                    for n in range(1, 9):
                        group = gi * 4 + (n + 1) // 2
                        number = f"{self.rng.randint(1, 120)}号"
                        rows.append(
                            StandardAddress(
                                grid=grid,
                                road=f"{group}组",
                                number=number,
                                full_text=f"浙江省台州市仙居县{town.name}{village.name}{group}组{number}",
                            )
                        )
            StandardAddress.objects.bulk_create(rows, batch_size=2000)
        self.log(f"标准地址: {StandardAddress.objects.count()}\n")

    def build_users(self) -> None:
        pw = make_password(DEMO_PASSWORD)
        c, county = self.centre, self.county
        baita = Unit.objects.get(code=f"{COUNTY}103")
        bt_sub = self.subcentres[baita.pk]
        rsj = self.departments["人力社保局"]
        bt_village = self.villages[baita.pk][0]
        bt_grid = self.grids[bt_village.pk][0]
        admin = _user(
            "admin", "系统管理员", county, [(Role.SYSTEM_ADMIN, county)], pw, is_staff=True, is_superuser=True
        )
        main = [
            (admin, "系统管理员（后台）"),
            (
                _user("anquan", "安全管理员", county, [(Role.SECURITY_ADMIN, county)], pw, is_staff=True),
                "安全管理员",
            ),
            (
                _user("shenji", "审计管理员", county, [(Role.AUDIT_ADMIN, county)], pw, is_staff=True),
                "审计管理员",
            ),
            (
                _user("zx_shouli", "周受理", c, [(Role.DISPATCHER, county)], pw, title="县综治中心受理员"),
                "县综治中心受理员",
            ),
            (
                _user(
                    "bt_shouli",
                    "吴受理",
                    bt_sub,
                    [(Role.DISPATCHER, baita)],
                    pw,
                    title="白塔镇综治中心受理员",
                ),
                "乡镇受理员（白塔镇）",
            ),
            (
                _user("bt_chengban", "郑承办", bt_sub, [(Role.HANDLER, baita)], pw, title="白塔镇综治中心承办人"),
                "乡镇承办人（白塔镇）",
            ),
            (
                _user("rsj_chengban", "钱承办", rsj, [(Role.HANDLER, rsj)], pw, title="人社局劳动监察承办人"),
                "部门承办人（人社局）",
            ),
            (
                _user("wgy_baita", "孙网格", bt_grid, [(Role.GRID_WORKER, bt_grid)], pw, title="专职网格员"),
                f"网格员（{bt_grid.name}）",
            ),
            (
                _user("tjy_chen", "陈调解", bt_sub, [(Role.MEDIATOR, bt_sub)], pw, title="金牌调解员"),
                "调解员（白塔镇）",
            ),
            (
                _user(
                    "bt_lingdao", "王镇长", baita, [(Role.LEADER, baita)], pw, title="白塔镇镇长", mobile="13905760101"
                ),
                "乡镇领导（白塔镇）",
            ),
            (
                _user(
                    "xian_lingdao",
                    "李县长",
                    county,
                    [(Role.LEADER, county)],
                    pw,
                    title="分管副县长",
                    mobile="13905760001",
                ),
                "县领导",
            ),
            (
                _user("jiwei", "赵监督", county, [(Role.SUPERVISOR, county)], pw, title="县纪委监委派驻组"),
                "纪检监督",
            ),
        ]
        self.logins.rows = [(u.username, label, u.unit.name if u.unit else "") for u, label in main]
        self.town_staff: dict[int, dict[str, User]] = {}
        for t in self.towns:
            sub = self.subcentres[t.pk]
            code = t.code[-3:]
            staff = {
                "dispatcher": _user(f"t{code}_shouli", self.person_name(), sub, [(Role.DISPATCHER, t)], pw),
                "handler": _user(f"t{code}_chengban", self.person_name(), sub, [(Role.HANDLER, t)], pw),
                "handler2": _user(f"t{code}_chengban2", self.person_name(), sub, [(Role.HANDLER, t)], pw),
                "leader": _user(
                    f"t{code}_lingdao", self.person_name(), t, [(Role.LEADER, t)], pw, title="乡镇分管领导"
                ),
            }
            if t.pk == baita.pk:
                staff["handler"] = User.objects.get(username="bt_chengban")
                staff["dispatcher"] = User.objects.get(username="bt_shouli")
                staff["leader"] = User.objects.get(username="bt_lingdao")
            self.town_staff[t.pk] = staff
        self.dept_staff: dict[int, User] = {}
        for short, d in self.departments.items():
            self.dept_staff[d.pk] = (
                User.objects.get(username="rsj_chengban")
                if short == "人力社保局"
                else _user(f"d_{d.code.split('-')[-1].lower()}", self.person_name(), d, [(Role.HANDLER, d)], pw)
            )
            _user(
                f"d_{d.code.split('-')[-1].lower()}_ld",
                self.person_name(),
                d,
                [(Role.LEADER, d)],
                pw,
                title=f"{short}负责人",
            )
        self.taskforce_handler = _user(
            "zb_chengban", self.person_name(), self.taskforce, [(Role.HANDLER, self.taskforce)], pw
        )
        self.county_dispatcher = User.objects.get(username="zx_shouli")
        # Grid workers: one per grid of the first village of each town (the rest would be imported).
        self.grid_workers: dict[int, User] = {}
        for t in self.towns:
            for v in self.villages.get(t.pk, [])[:3]:
                for g in self.grids.get(v.pk, [])[:1]:
                    uname = "wgy_baita" if g.pk == bt_grid.pk else f"wgy_{g.code.replace('-', '_').lower()}"
                    self.grid_workers[g.pk] = (
                        User.objects.get(username=uname)
                        if uname == "wgy_baita"
                        else _user(uname, self.person_name(), g, [(Role.GRID_WORKER, g)], pw, title="专职网格员")
                    )

    def build_mediators(self, count: int = 60) -> None:
        if Mediator.objects.exists():
            self.mediators = list(Mediator.objects.all())
            return
        specs = self.people["mediator_specialties_by_kind"]
        dialects = self.people["dialects"]
        kinds = list(specs)
        weights = [10 if k in ("人民调解员", "村干部", "乡贤") else 3 for k in kinds]
        chen = User.objects.get(username="tjy_chen")
        baita = Unit.objects.get(code=f"{COUNTY}103")
        mediators = [
            Mediator(
                name="陈调解",
                kind=MediatorKind.PEOPLE,
                user=chen,
                unit=self.subcentres[baita.pk],
                specialties=["02", "03", "04", "01"],
                dialects=["仙居话", "普通话"],
                capacity=8,
                cases_total=126,
                cases_success=118,
                rating=4.9,
            )
        ]
        for _ in range(count - 1):
            label = self.rng.choices(kinds, weights)[0]
            kind = KIND_BY_LABEL.get(label, MediatorKind.PEOPLE)
            town = self.rng.choice(self.towns)
            unit = (
                town if kind not in (MediatorKind.LAWYER, MediatorKind.JUDGE, MediatorKind.PROSECUTOR) else self.county
            )
            total = self.rng.randint(5, 150)
            mediators.append(
                Mediator(
                    name=self.person_name(),
                    kind=kind,
                    unit=unit,
                    specialties=self.rng.sample(specs[label], k=min(len(specs[label]), self.rng.randint(1, 3))),
                    dialects=["仙居话", *self.rng.sample(dialects, k=1)] if self.rng.random() < 0.8 else ["普通话"],
                    capacity=self.rng.randint(3, 8),
                    cases_total=total,
                    cases_success=int(total * self.rng.uniform(0.6, 0.97)),
                    rating=round(self.rng.uniform(3.8, 5.0), 1),
                )
            )
        Mediator.objects.bulk_create(mediators)
        self.mediators = list(Mediator.objects.all())

    # -- cases ------------------------------------------------------------------------------
    OUTCOMES = [
        # (final state, weight, minimum age in days)
        ("registered", 6, 0),
        ("dispatched", 5, 0),
        ("accepted", 6, 0),
        ("in_progress", 12, 0),
        ("mediating", 12, 0),
        ("paused", 3, 2),
        ("resolved", 12, 1),
        ("unresolved", 4, 3),
        ("closed", 22, 4),
        ("withdrawn", 4, 0),
        ("merged", 2, 1),
        ("archived", 12, 20),
    ]

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
            act("archive", staff["dispatcher"])

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
        from fengqiao.early_warning.demo import seed_warnings

        self.log(f"预警研判: {seed_warnings()}\n")
        from fengqiao.knowledge.demo import seed_knowledge

        self.log(f"知识库: {seed_knowledge(self)}\n")
        from fengqiao.mediation.demo import seed_mediation

        self.log(f"调解协议与日程: {seed_mediation()}\n")
        from fengqiao.gridwork.demo import seed_gridwork

        self.log(f"网格工作: {seed_gridwork(self)}\n")
        from fengqiao.triage.demo_learning import seed_learning

        self.log(f"分流学习: {seed_learning()}\n")
