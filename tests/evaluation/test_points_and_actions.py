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


def test_every_rule_by_hand(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Each trigger, the team's joining time, the actor/handler choice and a star, checked entry by entry;
    the live awards (after each commit) and a rebuild from scratch give the same ledger."""
    from fengqiao.cases.models import Case
    from fengqiao.mediation.models import TeamMember
    from tests.evaluation.histories import SH

    with django_capture_on_commit_callbacks(execute=True):
        h = build(org)
        m2 = org.mediator2
        # 林律师 on H from the start; on A only from 6 Oct 12:00 (after A's resolve and close, before its
        # rating and return visit). H is high-risk (a difficult case); C gets a handler before its reopen
        # is derived (reopen penalises the handler, not the actor).
        TeamMember.objects.create(case=h.h, mediator=m2, added_at=dt.datetime(2026, 10, 1, 9, tzinfo=SH))
        TeamMember.objects.create(case=h.a, mediator=m2, added_at=dt.datetime(2026, 10, 6, 12, tzinfo=SH))
        Case.objects.filter(pk=h.h.pk).update(risk="high")
        Case.objects.filter(pk=h.c.pk).update(handler=org.user("handler2"))
        star = actions.star_case(org.user("county_leader"), h.a, "典型案例")
    live_star = ledger()
    assert [e for e in live_star if e[1] == f"star:{star.pk}"] == sorted(
        [
            ("star.mediator", f"star:{star.pk}", f"m:{org.mediator.pk}", 5),
            ("star.mediator", f"star:{star.pk}", f"m:{m2.pk}", 5),
        ]
    )  # A has no handler: no cadre star; the whole team (joined before or after) shares it
    points.rebuild()  # the facts changed after the events: the rebuild adds what they now earn
    got = {
        (rule, case, who): p
        for rule, case, who, p in PointsEntry.objects.values_list("rule__code", "case__title", "person", "points")
    }
    m, m2k = f"m:{org.mediator.pk}", f"m:{m2.pk}"
    h1, h2, dh = (f"u:{org.user(n).pk}" for n in ("handler1", "handler2", "dept_handler"))
    expected = {
        # A: 陈调解 from 2 Oct, 林律师 from 6 Oct 12:00; resolve/close/dual by handler1; rate has no handler
        ("success.mediator", "A 调解成功", m): 5,
        ("handled.mediator", "A 调解成功", m): 2,
        ("satisfied.mediator", "A 调解成功", m): 2,
        ("satisfied.mediator", "A 调解成功", m2k): 2,
        ("dual.mediator", "A 调解成功", m): 2,
        ("dual.mediator", "A 调解成功", m2k): 2,
        ("star.mediator", "A 调解成功", m): 5,
        ("star.mediator", "A 调解成功", m2k): 5,
        ("success.cadre", "A 调解成功", h1): 3,
        ("handled.cadre", "A 调解成功", h1): 2,
        ("dual.cadre", "A 调解成功", h1): 2,
        # B: referred, closed by handler1, rated 不满意 (no rule)
        ("handled.cadre", "B 转介诉讼", h1): 2,
        # C: resolved and closed by handler1, reopened by the dispatcher: the handler (handler2) loses 3
        ("success.cadre", "C 重新办理", h1): 3,
        ("handled.cadre", "C 重新办理", h1): 2,
        ("reopen.cadre", "C 重新办理", h2): -3,
        # F: the department's handler
        ("success.cadre", "F 转人社", dh): 3,
        ("handled.cadre", "F 转人社", dh): 2,
        # H: high-risk, 林律师 on the team throughout, rated 基本满意 (no cadre rule for it)
        ("success.cadre", "H 逾期化解", h1): 3,
        ("handled.cadre", "H 逾期化解", h1): 2,
        ("success.mediator", "H 逾期化解", m2k): 5,
        ("difficult.mediator", "H 逾期化解", m2k): 3,
        ("handled.mediator", "H 逾期化解", m2k): 2,
        ("basic.mediator", "H 逾期化解", m2k): 1,
    }
    assert got == expected
    snapshot = ledger()
    assert points.rebuild().added == 0
    assert points.rebuild(from_scratch=True).added == len(expected) and ledger() == snapshot


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


def test_rebuild_from_the_page_is_queued_and_recorded(org):  # type: ignore[no-untyped-def]
    """重新核算 runs as background work (the tests run it at once), is recorded, and only leaders may ask."""
    from django.test import Client
    from django.urls import reverse

    build(org)
    PointsEntry.objects.all().delete()
    url = reverse("evaluation:points") + "?period=2026-10"
    handler = Client()
    handler.force_login(org.user("handler1"))
    assert handler.post(url).status_code == 403
    assert not PointsEntry.objects.exists()
    leader = Client()
    leader.force_login(org.user("county_leader"))
    page = leader.post(url, follow=True)
    assert "已开始按事件重新核算积分" in page.content.decode()
    ev = EvalEvent.objects.get(code="points.rebuild")
    assert ev.actor == org.user("county_leader") and ev.data["added"] == PointsEntry.objects.count() > 0


def test_rebuild_command_goes_through_the_action(org):  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    build(org)
    out = io.StringIO()
    call_command("points-rebuild", "--from-scratch", stdout=out)
    ev = EvalEvent.objects.get(code="points.rebuild")
    assert ev.actor is None and ev.data["from_scratch"] is True and ev.data["entries"] == PointsEntry.objects.count()
    assert f"entries={PointsEntry.objects.count()}" in out.getvalue()
    assert AuditEntry.objects.filter(action="evaluation.points.rebuild").count() == 1
    with pytest.raises(actions.EvalForbidden):
        actions.rebuild_points(org.user("handler1"))
