"""Whole triage of one new case with 50,000 mediators and 1,000,000 past cases loaded (issue 7).

    .venv/bin/python bench/bench_triage.py [--cases 1000000] [--mediators 50000] [--n 300] [--regenerate]

The data lives in its own PostgreSQL database (``fengqiao_bench_triage``, or ``BENCH_PG_URL``) and is
generated once (about 10–20 minutes on a shared 2-core machine) and reused by later runs;
``--regenerate`` drops it first, ``--generate-only`` stops after generating. Each measured call is the
triage of one new realistic case in-process (classify + locate + route + risk + duplicates + team,
storing the result row, the signature and the event), inside a transaction that is rolled back so
every iteration sees the same 1,000,000 cases. ``register_case`` end to end is measured too.
Target: p99 < 100 ms. Memory: resident set size of the process and Python peak while measuring.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from common import ROOT, print_table, summary, write_result

PG_URL = "postgres://postgres@127.0.0.1:5432/fengqiao_bench_triage"

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志成海燕春梅林斌文波辉鹏飞云凤荣新宇浩凯")
THINGS = [
    "宅基地",
    "围墙",
    "排水沟",
    "山林",
    "鱼塘",
    "杨梅园",
    "果园",
    "承包田",
    "机耕路",
    "水渠",
    "猪圈",
    "祖坟",
    "老房子",
    "车库",
    "楼道",
    "屋顶",
    "自来水管",
    "化粪池",
    "晒谷场",
    "竹林",
    "茶园",
    "厂房",
    "店面",
    "货车",
    "挖掘机",
    "电动车",
    "耕牛",
    "狗",
    "鸡鸭",
    "楼梯间",
    "门前空地",
    "路灯",
    "停车位",
    "集体林地",
    "水井",
]
OPENERS = [
    "{p}反映",
    "{p}来电称",
    "群众{p}到{town}综治中心反映",
    "{village}村民{p}反映",
    "网格员走访发现，{p}",
    "{p}通过12345热线反映",
    "{p}及家人来访称",
    "{town}{village}的{p}在线上平台反映",
    "{p}委托其子来访，称",
]
FACTS = [
    "{y}年{m}月{q}向其借款{a}元，约定{n}个月归还，至今未还",
    "与邻居{q}因{t}的界址问题多次发生争执",
    "{q}在{t}旁边新建房屋，挡住了自家的采光和通行",
    "其承包的{t}被{q}占用已有{n}个月，多次协商未果",
    "在{q}的工地干活{n}个月，工资{a}元一直被拖欠",
    "楼上{q}家{t}漏水，导致自家天花板受损",
    "{q}家养的{t}经常跑到自家地里，损坏庄稼",
    "村里{y}年的{t}征收补偿款{a}元至今没有发放到位",
    "与{q}合伙经营{t}，{y}年散伙后账目一直算不清",
    "在{q}的店里购买的{t}存在质量问题，要求退货被拒",
    "{y}年{m}月与{q}发生交通事故，医疗费{a}元赔偿未谈妥",
    "其父亲在{town}卫生院治疗后病情加重，对治疗过程有异议",
    "小区物业对{t}长期不维修，业主拒交物业费，双方矛盾激化",
    "附近{t}排放污水，河里的鱼大量死亡",
    "夫妻因{t}分割和孩子抚养问题闹离婚，{q}不同意",
    "兄弟几人因老人赡养费用分摊问题发生矛盾，{q}拒绝出钱",
    "{q}在{t}施工时噪音很大，晚上也不停，影响休息",
    "村集体的{t}出租收入去向不明，村民要求公开账目",
    "土地流转合同到期后，{q}不肯归还{t}，还要求续租{n}年",
    "{q}承包的{t}工程款{a}元被总包方拖欠",
    "因{t}被损坏，要求{q}赔偿{a}元，对方只愿赔一半",
    "青苗补偿标准每亩{a}元，认为太低，与{q}协商不成",
    "在{q}的厂里受伤后，工伤认定和赔偿一直没有结果",
    "{q}拖欠的{t}租金已有{n}个月，共计{a}元",
]
ASKS = [
    "请求帮助协调解决。",
    "希望有关部门尽快处理。",
    "要求对方赔偿损失。",
    "请求依法调解。",
    "情绪比较激动，希望尽快有人联系。",
    "已多次找村里未果，请求镇里出面。",
    "希望调解员上门调解。",
    "如果再不解决就要去县里反映。",
    "对方态度强硬，担心矛盾升级。",
    "请求查明情况后给予答复。",
]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def case_text(rng: random.Random, town: str, village: str) -> tuple[str, str]:
    p, q = person(rng), person(rng)
    slots = {
        "p": p,
        "q": q,
        "town": town,
        "village": village,
        "t": rng.choice(THINGS),
        "y": rng.randint(2015, 2026),
        "m": rng.randint(1, 12),
        "n": rng.randint(2, 36),
        "a": rng.randrange(2000, 300000, 100),
    }
    facts = rng.sample(FACTS, k=rng.randint(1, 3))
    body = rng.choice(OPENERS).format(**slots) + "，" + "；".join(f.format(**slots) for f in facts) + "。"
    body += rng.choice(ASKS)
    title = facts[0].format(**slots)[:18]
    return title, body


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup(regenerate: bool) -> str:
    sys.path.insert(0, str(ROOT))
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    url = os.environ.get("BENCH_PG_URL", PG_URL)
    name = url.rsplit("/", 1)[1]
    if regenerate:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
    exists = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def generate(n_cases: int, n_mediators: int, log: Any = print) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from fengqiao.cases import codes
    from fengqiao.cases.models import Case, Category, Party
    from fengqiao.core import crypto
    from fengqiao.mediation.models import Mediator, MediatorKind
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.divisions import load_county
    from fengqiao.org.models import RoleAssignment, StandardAddress, Unit, User
    from fengqiao.triage import duplicates
    from fengqiao.triage.location import assign_demo_boundaries

    rng = random.Random(20261123)
    from fengqiao.triage.ml.training import setup_shipped

    setup_shipped()  # the shipped classifiers (trained on the project's own examples) and risk lexicon
    if not Unit.objects.filter(kind=UnitKind.GRID).exists():
        load_county("331024", grids_per_village=2)
    assign_demo_boundaries()
    county = Unit.objects.get(code="331024")
    towns = list(Unit.objects.filter(kind=UnitKind.TOWN))
    villages = list(Unit.objects.filter(kind=UnitKind.VILLAGE))
    grids = list(Unit.objects.filter(kind=UnitKind.GRID))
    town_of = {t.pk: t for t in towns}
    if not StandardAddress.objects.exists():
        rows = []
        vil = {v.pk: v for v in villages}
        for g in grids:
            v = vil[g.parent_id]  # type: ignore[index]
            t = town_of[v.parent_id]  # type: ignore[index]
            for n in range(1, 9):
                rows.append(
                    StandardAddress(
                        grid=g,
                        road=f"{n}组",
                        number=f"{rng.randint(1, 99)}号",
                        full_text=f"浙江省台州市仙居县{t.name}{v.name}{n}组{rng.randint(1, 99)}号",
                    )
                )
        StandardAddress.objects.bulk_create(rows, batch_size=5000)
    if not User.objects.filter(username="bench_leader0").exists():
        for i, town in enumerate(towns):
            u = User.objects.create_user(
                f"bench_leader{i}", password="x-bench-pass-1", unit=town, mobile=f"1390576{i:04d}"
            )
            RoleAssignment.objects.create(user=u, unit=town, role=Role.LEADER)
    have = Mediator.objects.count()
    if have < n_mediators:
        cats = [c.code for c in Category.objects.filter(parent__isnull=False)]
        kinds = [k for k, _ in MediatorKind.choices]
        weights = [10 if k in ("people", "cadre", "sage") else 3 for k in kinds]
        batch = []
        for _ in range(n_mediators - have):
            kind = rng.choices(kinds, weights)[0]
            if kind in ("lawyer", "judge", "prosecutor", "psychologist"):
                unit = county if rng.random() < 0.6 else rng.choice(towns)
            else:
                unit = rng.choice(villages) if rng.random() < 0.5 else rng.choice(towns)
            total = rng.randint(0, 200)
            cap = rng.randint(3, 8)
            batch.append(
                Mediator(
                    name=person(rng),
                    kind=kind,
                    unit=unit,
                    specialties=rng.sample(cats, k=rng.randint(1, 4)),
                    dialects=["仙居话", "普通话"] if rng.random() < 0.7 else ["普通话"],
                    capacity=cap,
                    active_cases=rng.randint(0, cap),
                    cases_total=total,
                    cases_success=int(total * rng.uniform(0.5, 0.98)),
                    rating=round(rng.uniform(3.5, 5.0), 1),
                    available=rng.random() < 0.9,
                )
            )
            if len(batch) == 5000:
                Mediator.objects.bulk_create(batch)
                batch = []
        Mediator.objects.bulk_create(batch)
        log(f"mediators: {Mediator.objects.count()}")

    from fengqiao.triage.models import TextSignature

    have = Case.objects.count()
    if have >= n_cases:
        return
    categories = list(Category.objects.filter(parent__isnull=False))
    owners = list(Unit.objects.filter(kind__in=[UnitKind.SUBCENTRE, UnitKind.DEPARTMENT, UnitKind.CENTRE]))
    vil_town = {v.pk: town_of[v.parent_id] for v in villages}  # type: ignore[index]
    now = timezone.now()
    states = ["registered", "accepted", "in_progress", "mediating", "resolved", "closed", "archived"]
    made, t0 = have, time.perf_counter()
    phones = [f"13{rng.randint(100000000, 999999999)}" for _ in range(300_000)]
    while made < n_cases:
        n = min(10_000, n_cases - made)
        cases, texts, case_phones = [], [], []
        for _ in range(n):
            created = now - dt.timedelta(seconds=rng.randint(0, 730 * 86400))
            village = rng.choice(villages)
            town = vil_town[village.pk]
            title, body = case_text(rng, town.short_name or town.name, village.short_name or village.name)
            owner = rng.choice(owners)
            cat = rng.choice(categories)
            cases.append(
                Case(
                    code=codes.new_code(),
                    title=title,
                    description=body,
                    category=cat,
                    channel="import",
                    owner_unit=owner,
                    owner_path=owner.path,
                    location_unit=village,
                    location_path=village.path,
                    state=rng.choice(states),
                    created_at=created,
                    accept_due=created + dt.timedelta(days=1),
                    contact_due=created + dt.timedelta(days=3),
                    due_at=created + dt.timedelta(days=15),
                    yellow_at=created + dt.timedelta(days=7),
                    red_at=created + dt.timedelta(days=14),
                    reminded_accept_at=created,
                    reminded_contact_at=created,
                    reminded_due_at=created,
                )
            )
            texts.append(duplicates.case_text(title, body))
            case_phones.append(rng.choice(phones))
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=2000)
            ids = dict(Case.objects.filter(code__in=[c.code for c in cases]).values_list("code", "pk"))
            parties = []
            sigs = []
            for c, text, phone in zip(cases, texts, case_phones, strict=True):
                pk = ids[c.code]
                p = Party(case_id=pk, role="applicant", name=person(rng), phone=phone)
                p.phone_hash = crypto.search_hash(phone)
                parties.append(p)
                sigs.append(duplicates.signature_row(pk, text, c.created_at))
            Party.objects.bulk_create(parties, batch_size=2000)
            TextSignature.objects.bulk_create(sigs, batch_size=2000)
        made += n
        if made % 50_000 == 0:
            log(f"cases: {made} ({time.perf_counter() - t0:.0f}s)")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--mediators", type=int, default=50_000)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--measure-only", action="store_true", help="use the data as it is")
    args = parser.parse_args()
    setup(args.regenerate)
    t0 = time.perf_counter()
    if not args.measure_only:
        generate(args.cases, args.mediators, log=lambda m: print(m, flush=True))
    gen_s = time.perf_counter() - t0
    print(f"data ready in {gen_s:.0f}s", flush=True)
    if args.generate_only:
        return
    rows, meta = measure(args.n)
    meta.update({"cases": args.cases, "mediators": args.mediators, "machine": "shared 2-core (4 helpers + lead)"})
    print_table(rows, ["step", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms"])
    print(dict(meta.items()))
    write_result("triage_postgres", rows, meta)


def bench_rules() -> None:
    """A realistic rule set: per-town land rules, wages to the labour bureau, night high risk, fallback."""
    from fengqiao.cases.models import Category
    from fengqiao.org.choices import UnitKind
    from fengqiao.org.models import Unit
    from fengqiao.triage.models import RoutingRule

    if RoutingRule.objects.exists():
        return
    land = Category.objects.get(code="04")
    wages = Category.objects.get(code="0701")
    centre = Unit.objects.filter(kind=UnitKind.CENTRE).first()
    dept = Unit.objects.filter(kind=UnitKind.DEPARTMENT).first() or centre
    rules = [RoutingRule(position=5, name="欠薪交人社", category=wages, owner_unit=dept)]
    rules.append(
        RoutingRule(position=8, name="夜间高风险", min_risk="high", hour_from=18, hour_to=8, owner_unit=centre)
    )
    for i, town in enumerate(Unit.objects.filter(kind=UnitKind.TOWN).order_by("code")):
        rules.append(
            RoutingRule(position=10 + i, name=f"{town.name}山林土地", category=land, location=town, owner_local=True)
        )
    rules.append(RoutingRule(position=90, name="网格上报交属地", channel="grid", owner_local=True))
    rules.append(RoutingRule(position=999, name="兜底", is_fallback=True, owner_unit=centre))
    RoutingRule.objects.bulk_create(rules)


def _classifier_versions() -> str:
    from fengqiao.triage.models import ClassifierVersion

    active = ClassifierVersion.objects.filter(is_active=True).values_list("task", "version")
    return ", ".join(f"{t}={v}" for t, v in active) or "none active"


def measure(n: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import statistics

    from django.db import connection, transaction

    from fengqiao.cases.actions import Actor, register_case
    from fengqiao.cases.models import Case
    from fengqiao.org.choices import UnitKind
    from fengqiao.org.models import Unit

    bench_rules()
    rng = random.Random(99)
    villages = list(Unit.objects.filter(kind=UnitKind.VILLAGE).select_related("parent"))
    # Some applicants call again: phones drawn like the generator's (same seed), so same-phone hits occur.
    phones_rng = random.Random(20261123)
    known_phones = [f"13{phones_rng.randint(100000000, 999999999)}" for _ in range(2000)]

    def payload(i: int) -> dict[str, Any]:
        v = rng.choice(villages)
        town = v.parent
        title, body = case_text(rng, town.short_name or town.name, v.short_name or v.name)
        kind = i % 4
        data: dict[str, Any] = {
            "title": title,
            "description": body,
            "channel": rng.choice(["qr", "web", "hotline", "walk_in"]),
            "parties": [
                {
                    "role": "applicant",
                    "name": person(rng),
                    "phone": rng.choice(known_phones) if i % 5 == 0 else f"15{rng.randint(100000000, 999999999)}",
                }
            ],
        }
        if kind in (0, 1):
            data["address_text"] = f"仙居县{town.name}{v.short_name}{rng.randint(1, 8)}组{rng.randint(1, 99)}号"
        elif kind == 2:
            data["address_text"] = f"{(town.short_name or town.name)}{v.short_name}村"
        return data

    actor = Actor.citizen()

    def one(i: int) -> dict[str, Any]:
        p = payload(i)
        with transaction.atomic():
            t = time.perf_counter()
            case, _ = register_case(actor, p, via="bench")
            total = (time.perf_counter() - t) * 1000
            tri = case.events.get(code="case.register").data.get("triage", {})
            transaction.set_rollback(True)
        return {"total": total, **tri.get("timings", {})}

    for i in range(10):  # warm-up: cpca matcher, gazetteer, rules, jieba, model
        one(i)
    samples = [one(i) for i in range(n)]
    rows = []
    keys = [
        ("total", "register_case end to end (incl. triage)"),
        ("triage", "triage only (prepare + record)"),
        ("classify_ms", "  classify (type + domain)"),
        ("locate_ms", "  locate"),
        ("risk_ms", "  risk"),
        ("route_ms", "  route"),
        ("duplicates_ms", "  duplicates (LSH + same phone + group)"),
        ("team_ms", "  team"),
    ]
    for s in samples:
        s["triage"] = s.get("prepare_ms", 0) + s.get("record_ms", 0)
    for key, label in keys:
        vals = [float(s[key]) for s in samples if key in s]
        if vals:
            rows.append({"step": label, **summary(vals)})
    tracemalloc.start()
    for i in range(20):
        one(n + i)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        db_bytes = cur.fetchone()[0]
        cur.execute("SELECT pg_total_relation_size('triage_textsignature')")
        sig_bytes = cur.fetchone()[0]
    from fengqiao.mediation.models import Mediator
    from fengqiao.triage.models import TextSignature

    meta = {
        "loaded_cases": Case.objects.count(),
        "loaded_mediators": Mediator.objects.count(),
        "signatures": TextSignature.objects.count(),
        "rss_mb": round(rss_mb(), 1),
        "py_peak_mb_20_cases": round(peak / 1e6, 1),
        "db_mb": round(db_bytes / 1e6),
        "signature_table_mb": round(sig_bytes / 1e6),
        "classifier": _classifier_versions(),
        "mean_total_ms": round(statistics.fmean(s["total"] for s in samples), 2),
    }
    return rows, meta


if __name__ == "__main__":
    Path(ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    main()
