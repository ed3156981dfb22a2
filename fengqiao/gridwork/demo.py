"""Two weeks of grid work for the demo county, written through the action layer with the clock moved:
patrols with check-ins around each staffed grid, visits (done, due, overdue), on-the-spot reports
(half resolved on the spot) and documents delivered. Called with one line from fengqiao/demo/seed.py."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

import time_machine
from django.utils import timezone

from fengqiao.cases.actions import ActionInvalid
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.gridwork import actions
from fengqiao.org.models import Unit, User

XIANJU = (28.848, 120.728)  # 仙居县城
SCENES = [
    ("河道边堆放建筑垃圾", "河道边有人倾倒建筑垃圾，两户村民为清运费用争执。"),
    ("宅基地边界争执", "两户因新砌围墙占用公共通道发生口角，需调解。"),
    ("楼道堆放杂物引发邻里矛盾", "楼道堆放杂物堵塞消防通道，邻居之间争吵。"),
    ("农田灌溉用水纠纷", "上下游两户因抽水灌溉先后顺序发生争执。"),
    ("店铺占道经营", "临街店铺在人行道摆摊，与过往村民发生口角。"),
    ("犬只伤人赔偿", "村民被邻居家犬只咬伤，双方就医药费赔偿有分歧。"),
]
PURPOSES = ["回访调解协议履行情况", "独居老人入户走访", "重点人员日常走访", "矛盾纠纷排查", "出租房屋信息核实"]
VISIT_NOTES = [
    "情况正常，无新增矛盾。",
    "当事人对协议履行情况表示满意。",
    "发现漏水纠纷苗头，已记录跟进。",
    "家中无人，改日再访。",
]


def _centre(grid: Unit, rng: random.Random) -> tuple[float, float]:
    for unit in reversed(grid.ancestors()):
        ring = _first_ring(unit.boundary)
        if ring:
            lat = sum(p[1] for p in ring) / len(ring)
            lon = sum(p[0] for p in ring) / len(ring)
            return lat + rng.uniform(-0.004, 0.004), lon + rng.uniform(-0.004, 0.004)
    return XIANJU[0] + rng.uniform(-0.15, 0.15), XIANJU[1] + rng.uniform(-0.2, 0.2)


def _first_ring(geo: Any) -> list[list[float]]:
    try:
        geom = geo.get("geometry", geo) if isinstance(geo, dict) else None
        if geom is None:
            return []
        coords = geom["coordinates"]
        ring = coords[0][0] if geom["type"] == "MultiPolygon" else coords[0]
        return [p for p in ring if isinstance(p, list) and len(p) >= 2]
    except (KeyError, IndexError, TypeError):
        return []


def _at(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def seed_gridwork(seeder: Any = None, days: int = 14, seed: int = 19) -> str:
    """Seed ``days`` of grid work for every grid that has a grid worker; returns a summary line."""
    rng = random.Random(seed)
    workers: dict[int, User] = dict(getattr(seeder, "grid_workers", {}) or {})
    if not workers:
        from fengqiao.org.models import RoleAssignment

        for ra in RoleAssignment.objects.filter(role="grid_worker", unit__kind="grid").select_related("user", "unit"):
            workers.setdefault(ra.unit_id, ra.user)
    grids = {g.pk: g for g in Unit.objects.filter(pk__in=list(workers))}
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    counts = {"patrols": 0, "checkins": 0, "visits": 0, "reports": 0, "deliveries": 0}
    for gid, worker in sorted(workers.items()):
        grid = grids[gid]
        lat0, lon0 = _centre(grid, rng)
        diligence = rng.choice([0.85, 0.7, 0.5, 0.0]) if worker.username != "wgy_baita" else 0.9
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            if rng.random() >= diligence:
                continue
            start = dt.datetime.combine(day, dt.time(8 + rng.randint(0, 7), rng.randint(0, 59)), tzinfo=tz)
            with _at(start):
                p = actions.start_patrol(worker, grid, {"client_id": secrets.token_hex(8)})
            lat, lon = lat0, lon0
            moment = start
            for _ in range(rng.randint(3, 6)):
                moment += dt.timedelta(minutes=rng.randint(4, 15))
                lat += rng.uniform(-0.0008, 0.0008)
                lon += rng.uniform(-0.0008, 0.0008)
                note = rng.choice(["", "", "", "道路畅通，无异常", "提醒商户规范经营"])
                with _at(moment):
                    data = {"client_id": secrets.token_hex(8), "at": moment.isoformat(), "note": note}
                    actions.check_in(worker, p, {**data, "lat": round(lat, 6), "lon": round(lon, 6), "accuracy": 12})
                counts["checkins"] += 1
            with _at(moment + dt.timedelta(minutes=5)):
                actions.stop_patrol(worker, p, {"note": rng.choice(["巡查正常", "发现问题已上报", "走访商户两家"])})
            counts["patrols"] += 1
        # visits: two done in the past, one overdue, two coming up
        for i, offset in enumerate((-20, -9, -3, 1, 4)):
            due = today + dt.timedelta(days=offset)
            planned_at = dt.datetime.combine(due - dt.timedelta(days=5), dt.time(9), tzinfo=tz)
            with _at(min(planned_at, timezone.now())):
                name = seeder.person_name() if seeder is not None else rng.choice(["王建国", "李秀英", "张伟"])
                v = actions.plan_visit(
                    worker,
                    grid,
                    {
                        "subject_kind": rng.choice(["household", "party", "key_person"]),
                        "subject_name": name,
                        "address": f"{grid.parent.name if grid.parent else ''}{rng.randint(1, 8)}组",
                        "purpose": PURPOSES[(gid + i) % len(PURPOSES)],
                        "due_date": str(due),
                    },
                )
            counts["visits"] += 1
            if offset < -5:
                with _at(dt.datetime.combine(due, dt.time(15), tzinfo=tz)):
                    note = rng.choice(VISIT_NOTES)
                    outcome = "not_home" if "无人" in note else ("follow_up" if "苗头" in note else "normal")
                    actions.record_visit(worker, v, {"outcome": outcome, "notes": note, "lat": lat0, "lon": lon0})
        # on-the-spot reports: one resolved at once, one left for the town
        for j, back in enumerate((12, 2)):
            title, text = SCENES[(gid + j) % len(SCENES)]
            moment = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(10, 30), tzinfo=tz)
            scene: dict[str, Any] = {"title": title, "description": text, "lat": lat0, "lon": lon0}
            if j == 0:
                scene.update({"resolved_on_spot": True, "result": "网格员现场协调，双方达成一致。"})
            with _at(moment):
                case = actions.report(worker, grid, scene)
            counts["reports"] += 1
            if case.state in OPEN_STATES or j == 0:
                with _at(moment + dt.timedelta(days=1)):
                    actions.deliver(
                        worker,
                        grid,
                        case,
                        {
                            "document_kind": "agreement" if j == 0 else "notice",
                            "document_title": "人民调解协议书" if j == 0 else "受理告知书",
                            "recipient_name": seeder.person_name() if seeder is not None else "王建国",
                            "method": "in_person",
                            "confirmed": True,
                            "confirmation": "本人当面签收",
                        },
                    )
                counts["deliveries"] += 1
    return "、".join(f"{k} {v}" for k, v in counts.items())


ACTIVITIES = [  # title, place ({v}: the village, {t}: the town), hours, points an hour, starting hours
    ("河道清洁志愿活动", "{v}溪边集合点", 3, 10, (8, 14)),
    ("邻里矛盾排查走访", "{v}便民服务中心", 2, 10, (9, 14)),
    ("敬老院陪伴服务", "{t}敬老院", 2, 15, (9, 14)),
    ("反诈宣传进农户", "{v}文化礼堂", 2, 10, (9, 19)),
    ("平安巡逻（夜间）", "{v}便民服务中心门口", 2, 20, (19, 20)),
    ("垃圾分类劝导", "{v}垃圾分类亭", 2, 10, (7, 16)),
    ("防汛隐患排查", "{v}山塘水库", 3, 15, (8, 14)),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱胡林郑"
GIVEN = ["秀英", "建国", "美玲", "志强", "丽华", "海燕", "国平", "小燕", "伟民", "春梅", "德明", "金花", "永清", "雪芬"]


def _short(name: str) -> str:
    """白塔下街社区居委会 → 白塔下街社区, 埠头村委会 → 埠头村."""
    return name.replace("社区居委会", "社区").replace("居委会", "社区").replace("村委会", "村")


REWARDS = [
    ("洗衣液（2kg）", 30, 20),
    ("食用油（5L）", 80, 10),
    ("毛巾两条", 15, 40),
    ("大米（5kg）", 60, 12),
    ("雨伞", 40, 8),
]
DEMO_VOLUNTEER = ("王小红", "13905769001")  # the volunteer to try on the portal (code on the demo SMS page)


def _organisers(village: Unit) -> tuple[User | None, User | None]:
    """The village's grid worker (first grid) and its town's leader."""
    from fengqiao.org.models import RoleAssignment

    gw = (
        RoleAssignment.objects.filter(role="grid_worker", unit__parent=village, unit__kind="grid")
        .select_related("user", "unit")
        .order_by("unit__path")
        .first()
    )
    leader = (
        RoleAssignment.objects.filter(role="leader", unit=village.parent).select_related("user").order_by("pk").first()
    )
    return (gw.user if gw else None), (leader.user if leader else None)


def seed_volunteers(seeder: Any = None, villages: int = 4, seed: int = 1919) -> str:
    """平安志愿 for a few villages with a grid worker: volunteers, four months of activities (signed up,
    checked in and out, points credited by the rule), a 道德超市 each, redemptions at the counter and
    a few asked for on the portal; plus activities coming up. All through ``actions_volunteer``."""
    from fengqiao.gridwork import actions_volunteer as va
    from fengqiao.gridwork.models_volunteer import Volunteer

    if Volunteer.objects.exists():
        return "已有志愿者数据，跳过"
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    now = timezone.now()
    from fengqiao.org.models import RoleAssignment

    grid_ids = RoleAssignment.objects.filter(role="grid_worker", unit__kind="grid").values("unit__parent")
    baita = RoleAssignment.objects.filter(user__username="wgy_baita").values_list("unit__parent", flat=True).first()
    # the demo's grid worker (wgy_baita) and town leader (bt_lingdao) see theirs first
    pool = sorted(Unit.objects.filter(pk__in=grid_ids, kind="village"), key=lambda u: (u.pk != baita, u.path))
    chosen = pool[:villages]
    counts = {"volunteers": 0, "activities": 0, "signups": 0, "points": 0, "redemptions": 0}
    for vi, village in enumerate(chosen):
        gw, leader = _organisers(village)
        if leader is None:
            continue
        grid = Unit.objects.filter(parent=village, kind="grid").order_by("path").first()
        people: list[Any] = []
        joined = now - dt.timedelta(days=150)
        for i in range(rng.randint(9, 13)):
            name, phone = (
                DEMO_VOLUNTEER
                if vi == 0 and i == 0
                else (
                    seeder.person_name() if seeder is not None else rng.choice(SURNAMES) + rng.choice(GIVEN),
                    f"139{rng.randint(0, 99999999):08d}",
                )
            )
            with _at(joined + dt.timedelta(days=i)):
                try:
                    people.append(va.register_volunteer(leader, village, {"name": name, "phone": phone}))
                except ActionInvalid:  # a random phone already taken: skip that person
                    continue
        counts["volunteers"] += len(people)
        with _at(joined):
            shelf = [va.add_reward(leader, village, {"name": n, "cost": c, "stock": s}) for n, c, s in REWARDS]
        # past activities, about two a month, and two coming up
        starts = sorted(
            [now - dt.timedelta(days=d) for d in rng.sample(range(4, 120), 8)]
            + [now + dt.timedelta(days=d) for d in (3, 9)]
        )
        for k, start_day in enumerate(starts):
            title, place, hours, pph, at_hours = ACTIVITIES[(vi + k) % len(ACTIVITIES)]
            start = timezone.localtime(start_day, tz).replace(
                hour=rng.choice(at_hours), minute=0, second=0, microsecond=0
            )
            by, unit = (gw, grid) if (gw is not None and grid is not None and k % 2 == 0) else (leader, village)
            data = {
                "title": title,
                "place": place.format(v=_short(village.name), t=village.parent.name if village.parent else ""),
                "starts_at": start.isoformat(),
                "ends_at": (start + dt.timedelta(hours=hours)).isoformat(),
                "capacity": rng.choice([8, 10, 12]),
                "points_per_hour": pph,
            }
            with _at(start - dt.timedelta(days=7)):
                a = va.publish_activity(by, unit, data)
            counts["activities"] += 1
            goers = rng.sample(people, min(len(people), rng.randint(4, a.capacity)))
            if start > now:
                goers = goers[: rng.randint(2, 4)]
            signups = []
            for j, p in enumerate(goers):
                with _at(start - dt.timedelta(days=6 - j % 5, hours=j)):
                    signups.append(va.sign_up(None if j % 2 else by, a, p))
            counts["signups"] += len(signups)
            if start > now:
                continue
            for s in signups:
                if rng.random() < 0.12:  # did not come
                    continue
                with _at(start + dt.timedelta(minutes=rng.randint(-10, 20))):
                    va.check_in(by, s)
                with _at(start + dt.timedelta(hours=hours, minutes=rng.randint(-40, 15))):
                    va.check_out(by, s)
        # redemptions: at the counter over the months, and two waiting for hand-over
        for p in people:
            bal = va.balance(p)
            for r in sorted(shelf, key=lambda r: -r.cost):
                if bal >= r.cost and rng.random() < 0.5:
                    with _at(now - dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))):
                        va.redeem(leader if rng.random() < 0.7 else None, r, p)
                    bal -= r.cost
                    counts["redemptions"] += 1
                    break
    from fengqiao.gridwork.models_volunteer import PointsEntry

    counts["points"] = PointsEntry.objects.filter(delta__gt=0).count()
    return "、".join(f"{k} {v}" for k, v in counts.items())
