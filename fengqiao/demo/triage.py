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
        RoutingRule(position=999, name="兜底：县社会治理中心", is_fallback=True, owner_unit=centre),
    ]
    RoutingRule.objects.bulk_create(rules)
    return {"polygons": polygons, "rules": len(rules)}
