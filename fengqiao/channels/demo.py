"""Demo external systems (registered by the demo builder): a 12345 hotline, the county police
dispute platform, the county court, the petition system and an Open311 app. Their webhooks point at
the local receiver that ``fengqiao play-channels`` runs (port 8765 by default)."""

from __future__ import annotations

import os

from fengqiao.cases.models import Category, Domain
from fengqiao.channels.models import CategoryMapping, ExternalSystem

HOOK_BASE = os.environ.get("FENGQIAO_DEMO_HOOK_BASE", "http://127.0.0.1:8765/hooks")

SYSTEMS = [
    # code, name, kind, field map (the system's own field names), open311
    (
        "hotline-12345",
        "仙居县12345政务服务热线",
        "hotline",
        {
            "external_ref": "gdbh",
            "title": "gdbt",
            "description": "sqnr",
            "category": "sqlb",
            "name": "ldrxm",
            "phone": "lddh",
            "address": "fsdd",
            "received_at": "ldsj",
        },
        False,
    ),
    (
        "police-xj",
        "仙居县公安局警情纠纷平台",
        "police",
        {"external_ref": "jqbh", "description": "jyqk", "category": "jqlb", "address": "afdd", "received_at": "bjsj"},
        False,
    ),
    ("court-xj", "仙居县人民法院", "court", {}, False),
    ("petition-xj", "仙居县信访信息系统", "petition", {"external_ref": "xfjbh"}, False),
    ("open311-app", "随手拍（Open311 应用）", "other", {}, True),
]

MAPPINGS = {
    "hotline-12345": {
        "噪音扰民": "0202",
        "邻里纠纷": "0204",
        "拖欠工资": "0701",
        "物业服务": "1101",
        "消费纠纷": "1201",
        "环境污染": "1403",
    },
    "police-xj": {"邻里纠纷": "0204", "家庭纠纷": "0101", "交通事故": "0901", "债务纠纷": "0601"},
}
DOMAIN_MAPPINGS = {"hotline-12345": {"城建咨询": "D01", "社保咨询": "D05"}}


def seed_channels() -> int:
    made = 0
    for code, name, kind, fmap, open311 in SYSTEMS:
        system, created = ExternalSystem.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "field_map": fmap,
                "open311": open311,
                "webhook_url": "" if open311 else f"{HOOK_BASE}/{code}",
            },
        )
        made += int(created)
        cats = {c.code: c for c in Category.objects.filter(code__in=MAPPINGS.get(code, {}).values())}
        for ext, cat in MAPPINGS.get(code, {}).items():
            CategoryMapping.objects.get_or_create(system=system, external_code=ext, defaults={"category": cats[cat]})
        doms = {d.code: d for d in Domain.objects.filter(code__in=DOMAIN_MAPPINGS.get(code, {}).values())}
        for ext, dom in DOMAIN_MAPPINGS.get(code, {}).items():
            CategoryMapping.objects.get_or_create(system=system, external_code=ext, defaults={"domain": doms[dom]})
    return made
