"""Demo data of triage: plausible grid polygons (map points → grid) and a small routing rule set."""

from __future__ import annotations

from fengqiao.cases.choices import Level
from fengqiao.cases.models import Category
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

COUNTY = "331024"


def seed_triage() -> dict[str, int]:
    """Idempotent: polygons only where a unit has none, rules only if there are none."""
    from fengqiao.triage.location import assign_demo_boundaries
    from fengqiao.triage.models import RoutingRule

    polygons = assign_demo_boundaries(county_code=COUNTY)
    if RoutingRule.objects.exists():
        return {"polygons": polygons, "rules": 0}
    centre = Unit.objects.get(code=f"{COUNTY}-ZZZX")
    dept = {u.code.split("-", 1)[1]: u for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT, code__startswith=COUNTY)}
    cat = {c.code: c for c in Category.objects.all()}
    baita = Unit.objects.filter(code=f"{COUNTY}103").first()
    rules = [
        RoutingRule(position=5, name="欠薪交人社", category=cat["0701"], owner_unit=dept.get("RSJ") or centre),
        RoutingRule(
            position=8,
            name="夜间高风险直报县中心",
            min_risk="high",
            hour_from=18,
            hour_to=8,
            owner_unit=centre,
            level=Level.ORANGE,
        ),
        RoutingRule(position=10, name="医疗纠纷交卫健", category=cat["10"], owner_unit=dept.get("WJJ") or centre),
        RoutingRule(position=11, name="环境污染交生态环境", category=cat["14"], owner_unit=dept.get("HBJ") or centre),
        RoutingRule(position=20, name="征地拆迁属地先行", category=cat["05"], owner_local=True, owner_unit=centre),
    ]
    if baita is not None:
        rules.append(
            RoutingRule(position=12, name="白塔镇土地承包", category=cat["0401"], location=baita, owner_local=True)
        )
    rules += [
        RoutingRule(position=90, name="网格上报交属地", channel="grid", owner_local=True),
        RoutingRule(
            position=999,
            name="兜底：属地综治中心，属地不明交县中心",
            is_fallback=True,
            owner_local=True,
            owner_unit=centre,
        ),
    ]
    RoutingRule.objects.bulk_create(rules)
    from fengqiao.triage.routing import forget

    forget()  # bulk_create sends no post_save: drop this process's cached rules by hand
    return {"polygons": polygons, "rules": len(rules), "samples": register_samples()}


SAMPLES = [
    # (title, description, address, phone) — citizens' own words, as they arrive from the portal.
    (
        "承包田被邻居占用",
        "我家在白塔镇上叶村的承包田被邻居占去一垄，还在上面种了杨梅，多次找他都不认，请求调解。",
        "白塔镇上叶村3组",
        "13957600001",
    ),
    (
        "借钱不还还威胁我",
        "前年借给同村人五万元，说好一年还，现在不但不还，还扬言要拿刀砍人，我很害怕。",
        "仙居县横溪镇",
        "13957600002",
    ),
    (
        "工地欠薪",
        "我们十几个人在工地干了半年，老板拖欠工资二十多万，快过年了，大家说再不给就去堵路。",
        "",
        "13957600003",
    ),
    (
        "楼上漏水",
        "楼上卫生间漏水，我家天花板都泡坏了，找物业也不管。",
        "我家小区",
        "13957600004",
    ),
]


def register_samples() -> int:
    """A few citizen reports registered through the action layer after the rules exist, so the case
    pages and the dispatcher queue show routing, risk, team and review reasons."""
    from fengqiao.cases.actions import Actor, register_case

    made = 0
    for i, (title, text, address, phone) in enumerate(SAMPLES, 1):
        _, created = register_case(
            Actor.citizen(),
            {
                "title": title,
                "description": text,
                "address_text": address,
                "channel": "qr",
                "source_system": "demo-triage",
                "external_ref": f"sample-{i}",
                "parties": [{"role": "applicant", "name": "群众", "phone": phone}],
            },
            via="portal",
        )
        made += int(created)
    return made
