"""The index from per-unit sums (sums.py) against the index from the facts engine, on the constructed
October 2026 history plus an instruction, an accountability flag and a mediation session: every
metric's numerator, denominator and value, and every score, must be exactly equal. Then staleness:
a case changed after the index was stored marks it stale, and the scheduled refresh brings it back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fengqiao.evaluation import engine, index, periods, services, sums, tasks
from fengqiao.evaluation.metrics import REGISTRY
from fengqiao.evaluation.models import IndexScore, MetricSum, SumBuild
from fengqiao.supervision.models import AccountabilityRecord
from tests.evaluation.histories import SH, act, at, build

pytestmark = pytest.mark.django_db

OCT = periods.parse("2026-10")
NOV_1 = dt.datetime(2026, 11, 1, 12, tzinfo=SH)
KEYS = sorted(k for k in REGISTRY)


@pytest.fixture
def hist(org):  # type: ignore[no-untyped-def]
    h = build(org)
    with at(9):
        act(org, "instruct", h.c, "leader1")  # C is open again (reopened on the 20th)
        act(org, "instruct", h.c, "leader1")
    with at(12):
        act(org, "answer_instruction", h.c, "handler1", instruction=h.c.instructions.order_by("pk").first().pk)
    AccountabilityRecord.objects.create(case=h.h, kind="shirk", unit=org.town1, summary="推诿", dedup_key="t-h")
    return h


def figures(per_unit):  # type: ignore[no-untyped-def]
    return {u: {k: (r.numerator, r.denominator, r.value) for k, r in rs.items()} for u, rs in per_unit.items()}


def test_sums_equal_the_facts_engine_exactly(org, hist):  # type: ignore[no-untyped-def]
    for units in ([org.town1, org.town2], [org.dept], [org.county]):
        direct, direct_pool = engine.compute_many(KEYS, OCT, units, NOV_1)
        summed, summed_pool, _build = engine.compute_from_sums(KEYS, OCT, units, NOV_1)
        a, b = figures(summed), figures(direct)
        for u in a:
            for k in KEYS:
                assert (u, k, a[u][k]) == (u, k, b[u][k])
        assert {k: (r.numerator, r.denominator, r.value) for k, r in summed_pool.items()} == {
            k: (r.numerator, r.denominator, r.value) for k, r in direct_pool.items()
        }
    town = figures(summed := engine.compute_from_sums(KEYS, OCT, [org.town1], NOV_1)[0])[org.town1.pk]
    # Non-trivial: the hand-computed figures of test_metrics.py, and the extra facts of this history.
    assert town["satisfaction_rate"][:2] == (2, 3)
    assert town["repeat_rate"][:2] == (2, 7)
    assert town["avg_days"][1] == 3 and town["avg_days"][2] == pytest.approx(37 / 3)
    assert town["instruction_answer_rate"][:2] == (1, 2)
    assert town["flagged_rate"][:2] == (1, 6)  # by owner: F went to the department
    assert summed[org.town1.pk]["success_rate"].num_ids == []  # the sums carry no case lists


def test_index_scores_from_sums_equal_the_direct_index(org, hist):  # type: ignore[no-untyped-def]
    tree, roots = services.active_tree()
    units = [org.town1, org.town2]
    keys = sorted({n.metric for n in index.leaves(roots)})
    out = {}
    for name, per_unit, pooled in (
        ("direct", *engine.compute_many(keys, OCT, units, NOV_1)),
        ("sums", *engine.compute_from_sums(keys, OCT, units, NOV_1)[:2]),
    ):
        for rs in per_unit.values():
            for k, r in rs.items():
                r.shrunk = engine.shrink(r, pooled[k], tree.shrink_k)
        out[name] = index.score(roots, {u: index.leaf_values(rs) for u, rs in per_unit.items()})
    assert out["sums"] == out["direct"]
    assert out["sums"][org.town1.pk]["__total__"] is not None


def test_ended_period_build_is_reused_until_a_case_changes(org, hist, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    b1, _ = sums.build_for(OCT, NOV_1)
    with CaptureQueriesContext(connection) as q:
        b2, _ = sums.build_for(OCT, NOV_1 + dt.timedelta(hours=1))
    assert b2.version == b1.version and len(q) <= 3  # read, not recomputed
    assert MetricSum.objects.filter(build=b1).exists()
    with at(3, month=11), django_capture_on_commit_callbacks(execute=True):
        act(org, "reopen", hist.a, "dispatcher")  # A leaves October's concluded and closed cases
    assert SumBuild.objects.get(pk=b1.pk).dirty
    b3, s3 = sums.build_for(OCT, NOV_1 + dt.timedelta(days=3))
    assert b3.version == b1.version + 1 and not b3.dirty
    assert sums.for_unit(s3, "success_rate", org.town1.path) == (0, 0)


def test_stale_index_is_marked_and_refreshed(org, hist, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with at(2, month=11):
        rows = services.compute_index(OCT, "town")
        assert not services.is_stale(OCT, "town")
    before = IndexScore.objects.get(period="2026-10", unit=org.town1).detail["values"]["ontime_rate"]
    assert (before["numerator"], before["denominator"]) == (2, 3)
    assert rows and services.stale_periods("town") == []
    with at(3, month=11), django_capture_on_commit_callbacks(execute=True):
        act(org, "reopen", hist.h, "dispatcher")  # H (closed in October) is no longer closed
    assert services.is_stale(OCT, "town")
    assert services.stale_periods("town") == ["2026-10"]
    page = _ranking_page(org)
    assert "此后有案件变更，得分待更新" in page  # the ranking page says so
    with at(4, month=11):
        tasks.refresh_index_now()  # the scheduled run: the running month, and the stale October
    assert not services.is_stale(OCT, "town")
    assert "此后有案件变更" not in _ranking_page(org)
    after = IndexScore.objects.get(period="2026-10", unit=org.town1).detail["values"]["ontime_rate"]
    assert (after["numerator"], after["denominator"]) == (2, 2)


def _ranking_page(org):  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(org.user("county_leader"))
    r = c.get(reverse("evaluation:ranking"), {"kind": "town", "period": "2026-10"})
    assert r.status_code == 200
    return r.content.decode()


def test_a_new_case_marks_the_90_days_before_it(org, hist, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    b, _ = sums.build_for(OCT, NOV_1)
    from tests.helpers import new_case

    with (
        at(20, month=12),
        django_capture_on_commit_callbacks(execute=True),
    ):  # within 90 days of October: it may make an October report a repeat
        new_case(org, title="再次反映")
    assert SumBuild.objects.get(pk=b.pk).dirty


def test_drilldown_lists_exactly_what_the_metric_counts(org, hist):  # type: ignore[no-untyped-def]
    """The drill-down (the sums' SQL filtered to one unit) against the facts engine: the same cases
    in the numerator and the denominator, and the same figure, for every case metric and unit."""
    from fengqiao.evaluation import families

    keys = [k for k in KEYS if not REGISTRY[k].external]
    checked = 0
    for unit in (org.town1, org.town2, org.dept, org.county, org.village1, org.grid1):
        direct = {r.key: r for r in engine.compute(keys, OCT, unit=unit, now=NOV_1)}
        for k in keys:
            got = families.drill(k, OCT.start, min(OCT.end, NOV_1), unit.path)
            assert got is not None, k  # every metric installed here has a SQL definition
            r = direct[k]
            den = set(got.den.values_list("pk", flat=True))
            num = set(got.num.values_list("pk", flat=True))
            flagged = set(got.den.filter(in_num=True).values_list("pk", flat=True))
            assert (unit.code, k, den, num) == (unit.code, k, set(r.den_ids), set(r.num_ids))
            assert flagged == num, k
            assert got.counts() == (r.numerator, r.denominator), k
            checked += bool(den)
    assert checked >= 20  # non-trivial: most metrics have cases for most units in this history


def test_drilldown_page_for_a_leader_outside_and_inside_scope(org, hist):  # type: ignore[no-untyped-def]
    """Town 1's 按期办结率: A and B on time, H late (hand-counted in test_metrics.py). The county
    leader sees all three; a town-2 leader would see none of them (404, the unit is out of scope)."""
    d = services.drilldown(org.user("county_leader"), org.town1, OCT, "ontime_rate", now=NOV_1)
    assert (d.result.numerator, d.result.denominator, d.total) == (2, 3, None)  # None: every case is seen
    assert d.ordered_ids() == [c.pk for c in sorted([hist.a, hist.b, hist.h], key=lambda c: (c.created_at, c.pk))][::-1]
    assert dict(d.den.values_list("pk", "in_num")) == {hist.a.pk: True, hist.b.pk: True, hist.h.pk: False}
    with CaptureQueriesContext(connection) as q:
        services.drilldown(org.user("county_leader"), org.town1, OCT, "ontime_rate", now=NOV_1).ordered_ids()
    assert len(q) <= 8  # a fixed handful of queries on the unit's cases, not the period's facts


def test_drilldown_hides_what_a_town_leader_may_not_see(org, hist):  # type: ignore[no-untyped-def]
    """就地化解率 counts by place: town 1's closed cases A, B, F and H, of which F belongs to the county
    department. Town 1's leader is shown what the case policy lets them see; the rest is "hidden"."""
    from fengqiao.cases import policy
    from fengqiao.cases.models import Case

    leader = org.user("leader1")
    d = services.drilldown(leader, org.town1, OCT, "local_rate", now=NOV_1)
    shown = d.ordered_ids()
    mine = {hist.a.pk, hist.b.pk, hist.f.pk, hist.h.pk}
    seen = set(policy.restrict(Case.objects.filter(pk__in=mine), leader).values_list("pk", flat=True))
    assert set(shown) == seen and seen >= {hist.a.pk, hist.b.pk, hist.h.pk}
    assert (d.result.denominator, d.total, d.hidden(len(shown))) == (4, 4, 4 - len(seen))


def test_drilldown_of_an_ended_period_reads_the_stored_sums(org, hist, monkeypatch, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Once the ended October has a clean build, the figure comes from it (equal to counting the
    listed cases), and a large figure seen whole is paged in SQL, counted by the stored denominator."""
    from fengqiao.evaluation import families

    leader = org.user("county_leader")
    assert services.drilldown(leader, org.town1, OCT, "ontime_rate", now=NOV_1).stored is None  # no build yet
    sums.build_for(OCT, NOV_1)
    for unit, key in ((org.town1, "ontime_rate"), (org.county, "local_rate"), (org.town1, "avg_days")):
        d = services.drilldown(leader, unit, OCT, key, now=NOV_1 + dt.timedelta(days=1))
        counted = families.drill(key, OCT.start, OCT.end, unit.path)
        assert d.stored is not None and counted is not None
        assert (d.result.numerator, d.result.denominator) == counted.counts() != (0, 0)
    monkeypatch.setattr(services, "LARGE_DRILL", 1)
    d = services.drilldown(leader, org.county, OCT, "ontime_rate", now=NOV_1 + dt.timedelta(days=1))
    assert d.large
    page, shown = d.page(1, per_page=2)
    assert shown == 4 and [c.pk for c in page] == d.ordered_ids()[:2] and page.paginator.num_pages == 2
    # A town's figure above the threshold is still sorted from its pairs (the walk is for the county).
    town = services.drilldown(leader, org.town1, OCT, "ontime_rate", now=NOV_1 + dt.timedelta(days=1))
    page, shown = town.page(1, per_page=2)
    assert not town.large and shown == 3 and [c.pk for c in page] == town.ordered_ids()[:2]
    with at(3, month=11), django_capture_on_commit_callbacks(execute=True):
        act(org, "reopen", hist.h, "dispatcher")  # the build is marked dirty: counted again
    d = services.drilldown(leader, org.town1, OCT, "ontime_rate", now=NOV_1 + dt.timedelta(days=3))
    assert d.stored is None and not d.large and (d.result.numerator, d.result.denominator) == (2, 2)
