"""The demo county's places and people: Xianju's towns, villages, grids and standard addresses, its
departments and centres, one login per role, and its mediators (a mixin of the demo builder)."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password

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


class PeopleSeed:
    """Places, logins and mediators; the builder supplies ``rng``, ``people``, ``logins`` and ``log``."""

    rng: random.Random
    people: Any
    logins: Logins
    out: Any

    def log(self, msg: str) -> None:
        if self.out is not None:
            self.out.write(msg)

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
