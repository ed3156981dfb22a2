"""Demo signals for the warning models, planted through the real action layer (register_case and
perform at chosen moments), then one full run of every model and a few handling steps.

- a repeat petitioner: one person, five matters over ten weeks through four channels, re-reporting
  after a resolution, risk rising to high;
- a group wage dispute: workers of one building site, similar texts within ten days, some filing
  together;
- a surging area: a town with a week of noise complaints far above its history;
- a pair of neighbours whose dispute turns to threats (民转刑);
- three cases passed between departments; a sensitive period configured around today."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import time_machine
from django.utils import timezone

from fengqiao.cases.actions import Actor, perform, register_case
from fengqiao.cases.models import Case
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit, User

# Organised groups often file from one template (a team name changes): near-copies.
WAGE_TEMPLATE = (
    "宏远建筑公司在白塔镇安置小区工地拖欠我们{t}工资三个多月，老板一直推脱不给，我们多次讨要无果，请求政府帮助追讨欠薪"
)
WAGE = [WAGE_TEMPLATE.format(t=t) for t in ("木工班组", "钢筋班组", "泥水班组", "水电班组", "架子工班组", "油漆班组")]
NOISE = [
    "夜里十二点后楼下烧烤店还在营业，噪音很大影响休息",
    "新开的KTV每晚唱到凌晨两点，窗户关上也吵得睡不着",
    "菜市场凌晨四点开始卸货，叫卖声和车声太吵",
    "隔壁厂房晚上加班开机器，轰隆声一直到深夜",
    "广场舞音响开得太大，晚上九点后还在放",
    "楼上住户深夜搬动家具拖拽椅子，多次沟通无效",
    "路口商铺用大喇叭循环播放促销广告，吵得没法上课",
    "工地夜间违规施工打桩，凌晨还在作业",
    "酒吧门口夜里有人喝酒喧哗，吵闹到凌晨",
    "冷库压缩机噪音昼夜不停，居民无法入睡",
    "洗车店一早用高压水枪和吸尘器，噪音扰民",
]


def _user(unit: Unit, role: str) -> User | None:
    ra = RoleAssignment.objects.filter(unit=unit, role=role, user__is_active=True).select_related("user").first()
    return ra.user if ra else None


class _Planter:
    def __init__(self, seed: int = 16) -> None:
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.phones = iter(range(13957600000 + self.rng.randint(0, 9999) * 100, 13999999999))

    def phone(self) -> str:
        return str(next(self.phones))

    def register(
        self,
        who: User,
        days_ago: float,
        text: str,
        category: str,
        place: Unit,
        parties: list[dict[str, Any]],
        **extra: Any,
    ) -> Case:
        payload = {
            "title": text[:24],
            "description": text,
            "channel": extra.pop("channel", "walk_in"),
            "category": category,
            "location_unit": place.pk,
            "parties": parties,
            **extra,
        }
        with time_machine.travel(self.now - dt.timedelta(days=days_ago), tick=False):
            case, _ = register_case(Actor.staff(who), payload, via="demo")
        return case

    def act(self, name: str, case: Case, who: User, data: dict[str, Any], days_ago: float) -> None:
        with time_machine.travel(self.now - dt.timedelta(days=days_ago), tick=False):
            case.refresh_from_db()
            perform(name, case, Actor.staff(who), data, via="demo")


def seed_warnings() -> str:
    from fengqiao.early_warning.engine import run
    from fengqiao.early_warning.models import SensitivePeriod, Warning

    if Warning.objects.exists():
        return "已存在"
    towns = list(Unit.objects.filter(kind=UnitKind.TOWN).order_by("code"))
    baita = next((t for t in towns if t.name.startswith("白塔")), towns[0] if towns else None)
    if baita is None:
        return "无乡镇"
    other = next(
        (t for t in towns if t != baita and Unit.objects.filter(parent=t, kind=UnitKind.VILLAGE).exists()), baita
    )
    p = _Planter()
    disp, handler, leader = (_user(baita, r) for r in (Role.DISPATCHER, Role.HANDLER, Role.LEADER))
    if disp is None or handler is None:
        return "缺少白塔镇人员"
    odisp: User = _user(other, Role.DISPATCHER) or disp
    village = Unit.objects.filter(parent=baita, kind=UnitKind.VILLAGE).order_by("code").first() or baita
    ovillages = list(Unit.objects.filter(parent=other, kind=UnitKind.VILLAGE).order_by("code")) or [other]

    # 1. a repeat petitioner (same ID number; phones differ once)
    ident, phone = "332624196503120418", p.phone()
    liu = {"role": "applicant", "name": "刘建国", "phone": phone, "id_number": ident}
    first = p.register(disp, 70, "村里征地补偿款分配不公，我家少分了两万元，要求重新核算", "0501", village, [liu])
    p.act("accept", first, handler, {}, 69)
    p.act("assign_person", first, disp, {"handler": handler.pk}, 69)
    p.act(
        "resolve",
        first,
        handler,
        {
            "agreement": False,
            "matter_settled": True,
            "grievance_settled": False,
            "result": "解释补偿政策，当事人表示暂时接受",
        },
        62,
    )
    for days, channel, text, risk in (
        (45, "phone", "征地补偿款还是少分两万元，上次答复我不认可，要求村里公开分配名单", "low"),
        (28, "hotline", "反映征地补偿分配问题，村干部推诿，要求镇里出面核查补偿款", "medium"),
        (12, "petition", "征地补偿款问题多次反映未解决，准备到县里上访讨说法", "medium"),
        (3, "grid", "刘某情绪激动，称征地补偿再不解决就去市里上访，网格员上门稳控", "high"),
    ):
        who = disp
        p.register(
            who,
            days,
            text,
            "0501",
            village,
            [{**liu, "phone": p.phone() if days == 28 else phone}],
            channel=channel,
            risk=risk,
        )

    # 2. a group wage dispute: six workers in ten days, three of them filing together
    workers = [
        {"role": "applicant", "name": n, "phone": p.phone()}
        for n in ("张强", "李勇", "王海", "赵军", "陈斌", "周涛", "吴磊", "郑伟")
    ]
    boss = {"role": "respondent", "kind": "org", "name": "宏远建筑公司"}
    for i, ago in enumerate((10.0, 6.0, 4.5, 3.0, 2.0)):
        group = [workers[i]] if i != 2 else workers[2:5]
        p.register(disp, ago, WAGE[i], "0701", village, [*group, boss], people_count=len(group))
    p.register(disp, 1, WAGE[5], "0701", village, [workers[5], workers[6], boss], people_count=2, channel="hotline")

    # 3. a surging area: a week of noise complaints in another town (and a few elsewhere)
    for i, text in enumerate(NOISE):
        place = ovillages[i % len(ovillages)] if i < 8 else village
        p.register(
            odisp if i < 8 else disp,
            0.3 + i * 0.55,
            text,
            "0202",
            place,
            [{"role": "applicant", "name": "居民", "phone": p.phone()}],
        )

    # 4. 民转刑: the same neighbours again, now with threats
    a, r = (
        {"role": "applicant", "name": "黄志明", "phone": p.phone()},
        {"role": "respondent", "name": "林国庆", "phone": p.phone()},
    )
    p.register(disp, 50, "邻居林某在宅基地界址上砌墙，占了我家半米地，协商不成", "0301", village, [a, r])
    p.register(
        disp, 8, "林某又把界墙往我家这边砌，还扬言再管就动手打人，双方差点打架", "0301", village, [a, r], risk="medium"
    )

    # 5. cases passed back and forth between departments
    depts = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("code")[:2])
    if len(depts) == 2 and all(_user(d, Role.HANDLER) for d in depts):
        for i in range(3):
            c = p.register(
                disp,
                12 - i,
                f"安置小区地下室长期渗水，业主多次反映无人处理（{i + 1}号楼）",
                "1103",
                village,
                [{"role": "applicant", "name": "业主", "phone": p.phone()}],
            )
            p.act("transfer", c, handler, {"unit": depts[0].pk, "reason": "涉及房屋质量"}, 11 - i)
            p.act("decline", c, _user(depts[0], Role.HANDLER), {"reason": "属于物业维修范畴"}, 10.5 - i)  # type: ignore[arg-type]
            p.act("transfer", c, handler, {"unit": depts[1].pk, "reason": "转物业主管部门"}, 10 - i)

    today = timezone.localdate()
    SensitivePeriod.objects.get_or_create(
        name="县两会召开期间", defaults={"start": today - dt.timedelta(days=1), "end": today + dt.timedelta(days=6)}
    )
    from fengqiao.core.tasks import drain_all

    drain_all()  # triage (text signatures, locations) of the planted cases runs after commit: let it finish
    result = run(full=True)

    # a few handling steps, so the loop has something to show
    county_leader = User.objects.filter(
        role_assignments__role=Role.LEADER, role_assignments__unit__kind=UnitKind.COUNTY
    ).first()
    from fengqiao.early_warning import actions

    person = next((w for w in result.raised if w.model.code == "person_repeat"), None)
    if person and leader:
        actions.perform("assign", person, leader, {"unit": person.owner_unit.pk, "note": "请包案稳控，三日内核实"})
        actions.perform("verify", person, handler, {"verification": "经核实，当事人对征地补偿分配有异议，情绪不稳"})
    wage = next((w for w in result.raised if w.model.code == "issue_group"), None)
    if wage and county_leader:
        units = [u.pk for u in (baita, *depts[:1]) if u is not None]
        actions.issue_notice(
            county_leader,
            wage,
            {
                "title": "关于宏远建筑公司欠薪问题的工作提示",
                "text": "请白塔镇和人社局联合排查该公司在建工地欠薪情况，防止群体性事件。",
                "units": units,
                "due_days": 2,
            },
        )
    return f"发布 {len(result.raised)} 条预警"
