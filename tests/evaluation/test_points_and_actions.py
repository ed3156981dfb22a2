"""Points (idempotent, recomputable, live), track records, 挂牌督办, 加星, external figures and their
bad input (Chinese error, nothing changed)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook

from fengqiao.core.models import AuditEntry
from fengqiao.evaluation import actions, points
from fengqiao.evaluation.models import EvalEvent, ExternalFigure, PointsEntry, StarMark, UnitSupervision
from tests.evaluation.histories import build

pytestmark = pytest.mark.django_db


def ledger() -> list[tuple[str, str, str, int]]:
    return sorted(PointsEntry.objects.values_list("rule__code", "source", "person", "points"))


def test_points_idempotent_and_recomputable(org):  # type: ignore[no-untyped-def]
    h = build(org)
    first = points.rebuild()
    assert first.added > 0
    snapshot = ledger()
    again = points.rebuild()
    assert again.added == 0 and ledger() == snapshot  # deriving twice adds nothing
    scratch = points.rebuild(from_scratch=True)
    assert ledger() == snapshot and scratch.total_points == first.total_points  # same result from the events
    # Hand check for the mediator (陈调解, on A's team): A resolved +5, closed +2, 满意 +2, 事心双解 +2 = 11.
    m = f"m:{org.mediator.pk}"
    assert sum(p for _r, _s, who, p in snapshot if who == m) == 11
    # The handler1 cadre: resolves A B? (B referred: no success) — resolve A +3, C +3 (then reopened −3 to the
    # handler: C has no handler, so no penalty), H +3; closes A, B, C, H +2 each; A 满意 +2 (no handler: none);
    # A dual +2 (actor handler1).
    cadre = f"u:{org.user('handler1').pk}"
    assert sum(p for _r, _s, who, p in snapshot if who == cadre) == 3 + 3 + 3 + 2 * 4 + 2
    assert all(s.startswith("case_event:") for _r, s, _w, _p in snapshot)
    assert h.a.pk in set(PointsEntry.objects.values_list("case_id", flat=True))


def test_live_award_after_commit(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from tests.helpers import case_in_state

    with django_capture_on_commit_callbacks(execute=True):
        case = case_in_state(org, "closed")
    sources = set(PointsEntry.objects.filter(case=case).values_list("source", flat=True))
    assert len(sources) == 2  # its resolve and its close
    points.rebuild()
    assert set(PointsEntry.objects.filter(case=case).values_list("source", flat=True)) == sources


def test_track_records_follow_reopen(org):  # type: ignore[no-untyped-def]
    h = build(org)
    rec = points.track_records([org.mediator.pk])[org.mediator.pk]
    assert rec == {"cases": 1, "successes": 1, "in_hand": 0, "rating": 5.0, "ratings": 1}
    assert h.a.state == "closed"
    points.sync_track_records()
    org.mediator.refresh_from_db()
    assert (org.mediator.cases_total, org.mediator.cases_success, org.mediator.active_cases) == (1, 1, 0)


def test_supervision_lifecycle(org):  # type: ignore[no-untyped-def]
    county_leader, town_leader = org.user("county_leader"), org.user("leader1")
    deadline = timezone.localdate() + dt.timedelta(days=10)
    with pytest.raises(actions.EvalForbidden):
        actions.open_supervision(town_leader, org.town1, reason="自查", deadline=deadline)
    with pytest.raises(actions.EvalError) as err:
        actions.open_supervision(
            county_leader, org.town1, reason="", deadline=timezone.localdate() - dt.timedelta(days=1)
        )
    assert err.value.errors == {"reason": ["请填写督办事由。"], "deadline": ["整改期限不能早于今天。"]}
    assert not UnitSupervision.objects.exists()
    sup = actions.open_supervision(county_leader, org.town1, reason="办理速度落后", deadline=deadline, period="2026-10")
    actions.follow_up(org.user("handler1"), sup, "已制定整改方案")
    with pytest.raises(actions.EvalForbidden):
        actions.follow_up(org.user("handler2"), sup, "不是本镇")
    with pytest.raises(actions.EvalForbidden):
        actions.close_supervision(town_leader, sup, "自行销号")
    actions.close_supervision(county_leader, sup, "整改到位")
    sup.refresh_from_db()
    assert sup.status == "closed"
    assert list(sup.events.values_list("code", flat=True)) == [
        "supervision.open",
        "supervision.follow",
        "supervision.close",
    ]
    assert AuditEntry.objects.filter(action__startswith="evaluation.supervision").count() == 3
    # visible to the supervisor (county scope)
    from fengqiao.evaluation.views_admin import supervisions_in_scope

    assert list(supervisions_in_scope(org.user("supervisor"))) == [sup]
    assert list(supervisions_in_scope(org.user("handler2"))) == []


def test_star_and_strip(org, new_case):  # type: ignore[no-untyped-def]
    from fengqiao.evaluation.templatetags.evaluation import stars_for

    with pytest.raises(actions.EvalForbidden):
        actions.star_case(org.user("handler1"), new_case, "好")
    star = actions.star_case(org.user("county_leader"), new_case, "典型案例")
    with pytest.raises(actions.EvalError):
        actions.star_case(org.user("county_leader"), new_case, "再加一次")
    assert [s.pk for s in stars_for(org.user("leader1"))] == [star.pk]
    assert stars_for(org.user("handler2")) == []  # the other town cannot see the case
    actions.unstar(org.user("county_leader"), star, "撤销")
    assert not StarMark.objects.filter(active=True).exists()


def _xlsx(rows: list[list[object]]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_figures_set_and_import(org):  # type: ignore[no-untyped-def]
    admin = org.user("sysadmin")
    actions.set_figure(admin, org.town1, "population", "2026", 40000)
    actions.set_figure(admin, org.town1, "population", "2026", 41000)
    ev = EvalEvent.objects.filter(code="figure.set").order_by("pk").last()
    assert ev.data["before"] == 40000 and ev.data["after"] == 41000 and ev.actor == admin
    n = actions.import_figures(
        admin,
        _xlsx(
            [
                ["单位代码", "指标", "期间", "数值"],
                ["331024104", "人口", "2026", 12000],
                ["331024104", "诉讼", "2026-10", 3],
            ]
        ),
    )
    assert n == 2
    assert ExternalFigure.objects.get(unit=org.town2, kind="lawsuits").source == "excel"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["单位", "x"]], "表头应为"),
        ([["单位代码", "指标", "期间", "数值"], ["NOPE", "人口", "2026", 1]], "第2行：单位代码“NOPE”不存在。"),
        (
            [
                ["单位代码", "指标", "期间", "数值"],
                ["331024103", "人口", "2026", 5],
                ["331024103", "诉讼", "2026/10", 1],
            ],
            "第3行：期间格式应为 2026-11。",
        ),
        ([["单位代码", "指标", "期间", "数值"], ["331024103", "人口", "2026", -4]], "第2行：数值应为不小于 0 的整数。"),
        ([["单位代码", "指标", "期间", "数值"], ["331024103", "走访", "2099-01", 4]], "尚未开始"),
    ],
)
def test_malformed_excel_changes_nothing(org, rows, message):  # type: ignore[no-untyped-def]
    before = (ExternalFigure.objects.count(), EvalEvent.objects.count(), AuditEntry.objects.count())
    with pytest.raises(actions.EvalError) as err:
        actions.import_figures(org.user("sysadmin"), _xlsx(rows))
    text = err.value.message + " ".join(err.value.errors.get("file", []))
    assert message in text
    assert (ExternalFigure.objects.count(), EvalEvent.objects.count(), AuditEntry.objects.count()) == before


def test_not_an_excel_file_and_out_of_scope(org):  # type: ignore[no-untyped-def]
    with pytest.raises(actions.EvalError, match="xlsx"):
        actions.import_figures(org.user("sysadmin"), io.BytesIO(b"not a workbook"))
    with pytest.raises(actions.EvalForbidden):
        actions.set_figure(org.user("leader1"), org.town1, "population", "2026", 1)
    assert not ExternalFigure.objects.exists()
