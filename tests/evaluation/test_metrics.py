"""Each metric on the constructed October 2026 history (tests/evaluation/histories.py), against values
computed by hand. Town = 白塔镇 (town1), department = 人社局 (dept)."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.evaluation import engine, periods
from fengqiao.evaluation.metrics import REGISTRY
from fengqiao.evaluation.models import ExternalFigure
from tests.evaluation.histories import build

pytestmark = pytest.mark.django_db

OCT = periods.parse("2026-10")


@pytest.fixture
def hist(org):  # type: ignore[no-untyped-def]
    return build(org)


def results(unit, period=OCT, keys=None):  # type: ignore[no-untyped-def]
    return {r.key: r for r in engine.compute(keys or list(REGISTRY), period, unit=unit)}


def ids(*cases):  # type: ignore[no-untyped-def]
    return sorted(c.pk for c in cases)


def test_preconditions(hist):  # type: ignore[no-untyped-def]
    h = hist
    assert h.f.owner_unit.code == "D-RSJ"  # transferred mid-period
    assert h.c.state == "in_progress" and h.c.resolved_at is None  # reopened
    assert h.d.state == "withdrawn" and h.e.state == "merged"
    assert h.g.state == "paused"
    assert h.h.resolved_at > h.h.due_at  # late
    assert h.b.first_contact_at > h.b.contact_due  # contacted late
    for c in (h.a, h.b, h.c, h.g, h.h):
        assert OCT.start <= c.due_at < OCT.end


def test_town_metrics_by_hand(org, hist):  # type: ignore[no-untyped-def]
    h = hist
    r = results(org.town1)
    # 调处成功率: concluded in October with a team: only A (C was reopened; F belongs to the department).
    assert (ids(*[]) if False else sorted(r["success_rate"].num_ids), sorted(r["success_rate"].den_ids)) == (
        ids(h.a),
        ids(h.a),
    )
    assert r["success_rate"].value == 1.0
    assert r["prelit_success_rate"].denominator == 0 and r["prelit_success_rate"].value is None
    # 办结率: due in October A, B, C, H (G paused, D withdrawn, E merged left out); closed by the end A, B, H.
    assert sorted(r["completion_rate"].den_ids) == ids(h.a, h.b, h.c, h.h)
    assert sorted(r["completion_rate"].num_ids) == ids(h.a, h.b, h.h)
    # 按期办结率: closed A, B, H; H resolved after its deadline.
    assert sorted(r["ontime_rate"].den_ids) == ids(h.a, h.b, h.h)
    assert sorted(r["ontime_rate"].num_ids) == ids(h.a, h.b)
    assert r["ontime_rate"].value == pytest.approx(2 / 3)
    # 群众满意率: A 满意, H 基本满意, B 不满意.
    assert (r["satisfaction_rate"].numerator, r["satisfaction_rate"].denominator) == (2, 3)
    assert (r["satisfaction_strict"].numerator, r["satisfaction_strict"].denominator) == (1, 3)
    # 就地化解率 by place: F (located in 白塔村, closed by the county department) counts, not locally.
    assert sorted(r["local_rate"].den_ids) == ids(h.a, h.b, h.f, h.h)
    assert sorted(r["local_rate"].num_ids) == ids(h.a, h.b, h.h)
    # 重复访率: registered (merged E left out) A B C D F G H; G is repeated by A and A by E (same person, type).
    assert sorted(r["repeat_rate"].den_ids) == ids(h.a, h.b, h.c, h.d, h.f, h.g, h.h)
    assert sorted(r["repeat_rate"].num_ids) == ids(h.a, h.g)
    # 事心双解率: closed and visited: A, settled both.
    assert (r["dual_rate"].numerator, r["dual_rate"].denominator) == (1, 1)
    # 响应率: accepted in October G H A B C; only A contacted within 72 h.
    assert sorted(r["response_rate"].den_ids) == ids(h.a, h.b, h.c, h.g, h.h)
    assert r["response_rate"].num_ids == [h.a.pk]
    assert (r["accept_ontime_rate"].numerator, r["accept_ontime_rate"].denominator) == (5, 5)
    # 平均办理天数: A 3 days, B 7, H 27 → 37 / 3.
    assert r["avg_days"].numerator == pytest.approx(37)
    assert r["avg_days"].value == pytest.approx(37 / 3)
    assert r["instruction_answer_rate"].denominator == 0
    assert r["flagged_rate"].denominator == 6  # owner-registered: A B C D G H


def test_department_gets_the_transferred_case(org, hist):  # type: ignore[no-untyped-def]
    r = results(org.dept)
    assert r["ontime_rate"].den_ids == [hist.f.pk] and r["ontime_rate"].value == 1.0
    assert r["success_rate"].denominator == 0  # F had no mediation
    assert r["local_rate"].denominator == 0  # its place is the town's


def test_day_and_week_periods(org, hist):  # type: ignore[no-untyped-def]
    r = results(org.town1, periods.parse("2026-10-05"))
    assert r["success_rate"].den_ids == [hist.a.pk]
    r = results(org.town1, periods.parse("2026-W41"))  # Mon 5 – Sun 11 October
    assert sorted(r["ontime_rate"].den_ids) == ids(hist.a, hist.b)  # C's close on the 7th was undone by the reopen
    r = results(org.town1, periods.parse("2026-11"))
    assert r["ontime_rate"].denominator == 0


def test_person_scope(org, hist):  # type: ignore[no-untyped-def]
    rs = {r.key: r for r in engine.compute(["ontime_rate"], OCT, person_id=org.user("handler1").pk)}
    assert rs["ontime_rate"].denominator == 0  # nobody was assigned as handler (assign_person never ran)


def test_lawsuit_rate_from_external_figures(org, hist):  # type: ignore[no-untyped-def]
    admin = org.user("sysadmin")
    ExternalFigure.objects.create(unit=org.town1, kind="population", period="2026", value=40000, entered_by=admin)
    ExternalFigure.objects.create(unit=org.town2, kind="population", period="2026", value=10000, entered_by=admin)
    ExternalFigure.objects.create(unit=org.town1, kind="lawsuits", period="2026-10", value=8, entered_by=admin)
    ExternalFigure.objects.create(unit=org.town2, kind="lawsuits", period="2026-10", value=2, entered_by=admin)
    r = results(org.town1, keys=["lawsuit_rate"])["lawsuit_rate"]
    assert (r.numerator, r.denominator, r.value) == (8, 40000, pytest.approx(2.0))
    county = results(org.county, keys=["lawsuit_rate"])["lawsuit_rate"]  # the sum of its towns
    assert (county.numerator, county.denominator) == (10, 50000)
    # 四级走访下降率: 50 in September, 40 in October → 20 %.
    ExternalFigure.objects.create(unit=org.town1, kind="visits", period="2026-09", value=50, entered_by=admin)
    ExternalFigure.objects.create(unit=org.town1, kind="visits", period="2026-10", value=40, entered_by=admin)
    v = results(org.town1, keys=["visit_decline"])["visit_decline"]
    assert v.value == pytest.approx(0.2)
    q = results(org.town1, periods.parse("2026-Q4"), keys=["lawsuit_rate"])["lawsuit_rate"]
    assert q.numerator == 8  # the quarter sums its months


def test_buckets_match_single_unit(org, hist):  # type: ignore[no-untyped-def]
    keys = [k for k in REGISTRY if not REGISTRY[k].external]
    per_unit, pooled = engine.compute_many(keys, OCT, [org.town1, org.town2, org.dept])
    single = results(org.town1, keys=keys)
    for k in keys:
        assert sorted(per_unit[org.town1.pk][k].den_ids) == sorted(single[k].den_ids), k
        assert sorted(per_unit[org.town1.pk][k].num_ids) == sorted(single[k].num_ids), k
    assert pooled["ontime_rate"].denominator == 4  # A B H + F


def test_periods_parse_and_refuse():  # type: ignore[no-untyped-def]
    assert periods.parse("2026-Q4").first == dt.date(2026, 10, 1)
    assert periods.parse("2026-Q4").last == dt.date(2026, 12, 31)
    assert periods.parse("2026-10-01..2026-10-15").previous().code == "2026-09-16..2026-09-30"
    with pytest.raises(periods.PeriodError, match="不能晚于今天"):
        periods.parse("2099-01")
    with pytest.raises(periods.PeriodError, match="无法识别"):
        periods.parse("2026-13")
