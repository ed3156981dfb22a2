"""The evaluation step of ``fengqiao demo-setup``: external figures for the towns (population, monthly
first-instance lawsuits and 四级走访 — demo values, entered through the action as the administrator
with source "demo"), a few 加星事项 by the county leader, the points ledger derived from the demo's
events, mediators' track records from real outcomes, and the index of this month and the last."""

from __future__ import annotations

import random
from typing import Any

from fengqiao.cases.models import Case
from fengqiao.evaluation import actions, periods, points, services
from fengqiao.evaluation.models import FigureKind, StarMark
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit, User

STAR_REASONS = [
    "多方联调，当场履行协议",
    "回访事心双解，群众送锦旗",
    "化解十年积怨，村民联名致谢",
    "首问负责，三日内化解",
]


def seed_evaluation(seed: int = 20261123) -> dict[str, Any]:
    rng = random.Random(seed)
    admin = User.objects.filter(username="admin").first()
    leader = User.objects.filter(username="xian_lingdao").first()
    out: dict[str, Any] = {"figures": 0, "stars": 0}
    this = periods.current_month()
    months = [this.previous().previous().previous(), this.previous().previous(), this.previous(), this]
    if admin is not None:
        for town in Unit.objects.filter(kind=UnitKind.TOWN).order_by("code"):
            pop = rng.randrange(12000, 65000, 100)
            actions.set_figure(admin, town, FigureKind.POPULATION, str(this.last.year), pop, source="demo")
            out["figures"] += 1
            for m in months:
                suits = max(0, round(pop / 10000 * rng.uniform(0.4, 2.5)))
                visits = rng.randint(4, 40)
                actions.set_figure(admin, town, FigureKind.LAWSUITS, m.code, suits, source="demo")
                actions.set_figure(admin, town, FigureKind.VISITS, m.code, visits, source="demo")
                out["figures"] += 2
    if leader is not None:
        candidates = list(
            Case.objects.filter(satisfaction="satisfied", resolved_at__isnull=False, referral="").order_by(
                "-resolved_at"
            )[:30]
        )
        rng.shuffle(candidates)
        for case, reason in zip(candidates[:4], STAR_REASONS, strict=False):
            if not StarMark.objects.filter(case=case, active=True).exists():
                actions.star_case(leader, case, reason)
                out["stars"] += 1
    report = points.rebuild()
    out["points"] = report.total_points
    out["ledger"] = report.total_entries
    out["mediators"] = points.sync_track_records()
    for p in (this.previous(), this):
        for kind in services.KINDS:
            services.compute_index(p, kind)
    return out
