"""Routing that learns and quality over time (issue 20): override statistics and suggestions on a
constructed history with hand-computed expectations, accepting/dismissing (audited, admin only),
weekly accuracy, confusion, low-confidence share, drift, the margin-ordered queue, and the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition, register_case
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.core.models import AuditEntry
from fengqiao.triage import actions, overrides, quality
from fengqiao.triage.models import LearningEvent, RoutingRule, RuleSuggestion, TrainingLabel, TriageResult
from tests.conftest import Org, case_payload


def _cases(org: Org, n: int, category: str = "0201") -> list[Case]:
    out = []
    for _ in range(n):
        case, _ = register_case(org.actor("dispatcher"), case_payload(org, category=category), via="test")
        out.append(case)
    return out


def _history(org: Org) -> RoutingRule:
    """Rule R (no type) routed 8 cases to 白塔镇综治中心: 5 transferred to 住建局 within 72 h, 1 to 人社局,
    1 to 住建局 after 100 h (not an override), 1 stayed. Expected: routed 8, overridden 6, mostly 住建局 (5)."""
    rule = RoutingRule.objects.create(position=50, name="白塔镇兜底", location=org.town1, owner_unit=org.sub1)
    cases = _cases(org, 8)
    plan = [(org.dept2, 2), (org.dept2, 5), (org.dept2, 10), (org.dept2, 30), (org.dept2, 71), (org.dept, 3),
            (org.dept2, 100), None]  # fmt: skip
    for case, step in zip(cases, plan, strict=True):
        reg = CaseEvent.objects.get(case=case, code="case.register")
        reg.data = {"triage": {"rule": rule.pk}}
        reg.after = {**reg.after, "owner_unit": org.sub1.pk}
        reg.save()
        if step is not None:
            unit, hours = step
            CaseEvent.objects.create(
                case=case,
                code="case.transfer",
                at=reg.at + dt.timedelta(hours=hours),
                data={"from": org.sub1.pk, "to": unit.pk, "to_name": unit.name},
            )
    return rule


def test_override_statistics_on_constructed_history(org: Org) -> None:
    rule = _history(org)
    st = overrides.rule_stats()[rule.pk]
    assert (st.routed, st.overridden) == (8, 6)
    assert st.targets[org.dept2.pk] == 5 and st.targets[org.dept.pk] == 1
    assert "被改派 6 次（75%）" in st.sentence() and "多数改派至 仙居县住房和城乡建设局（5 次）" in st.sentence()
    # 5/6 toward 住建局 >= 60 %, all of type 0201 and the rule has no type: a more specific new rule
    sug = st.suggestion
    assert sug is not None and sug.kind == "new_rule" and sug.target == org.dept2 and sug.category.code == "0201"


def test_few_overrides_give_no_suggestion(org: Org) -> None:
    rule = RoutingRule.objects.create(position=50, name="白塔镇兜底", location=org.town1, owner_unit=org.sub1)
    case = _cases(org, 1)[0]
    reg = CaseEvent.objects.get(case=case, code="case.register")
    reg.data = {"triage": {"rule": rule.pk}}
    reg.save()
    CaseEvent.objects.create(
        case=case, code="case.transfer", at=reg.at, data={"from": reg.after["owner_unit"], "to": org.dept2.pk}
    )
    st = overrides.rule_stats()[rule.pk]
    assert (st.routed, st.overridden, st.suggestion) == (1, 1, None)


def test_accepting_creates_the_rule_audited_and_dismiss_needs_reason(org: Org) -> None:
    rule = _history(org)
    post = {"rule": str(rule.pk), "kind": "new_rule", "target": str(org.dept2.pk)}
    with pytest.raises(ActionForbidden):
        actions.decide_suggestion(org.user("dispatcher"), post, accept=True)
    with pytest.raises(ActionInvalid):
        actions.decide_suggestion(org.user("sysadmin"), post, accept=False)  # dismiss without a reason
    with pytest.raises(InvalidTransition):  # the page showed something else
        actions.decide_suggestion(org.user("sysadmin"), {**post, "target": str(org.dept.pk)}, accept=True)
    assert RoutingRule.objects.count() == 1 and not RuleSuggestion.objects.exists()
    row = actions.decide_suggestion(org.user("sysadmin"), {**post, "reason": "住建类交住建局"}, accept=True)
    new = row.created_rule
    assert new is not None and new.position == 49 and new.category.code == "0201" and new.owner_unit == org.dept2
    assert new.location == org.town1 and row.overridden == 6 and row.toward == 5
    ev = LearningEvent.objects.get(code="rule.suggestion_accept")
    assert ev.actor == org.user("sysadmin") and ev.data["change"]["created_rule"] == new.pk
    assert AuditEntry.objects.filter(action="rule.suggestion_accept", user=org.user("sysadmin")).exists()


def test_owner_suggestion_changes_the_owner(org: Org) -> None:
    cat = Category.objects.get(code="0201")
    rule = _history(org)
    rule.category = cat
    rule.save()
    st = overrides.rule_stats()[rule.pk]
    assert st.suggestion is not None and st.suggestion.kind == "owner"
    post = {"rule": str(rule.pk), "kind": "owner", "target": str(org.dept2.pk), "reason": ""}
    actions.decide_suggestion(org.user("sysadmin"), post, accept=True)
    rule.refresh_from_db()
    assert rule.owner_unit == org.dept2 and not rule.owner_local


# ------------------------------------------------------------------------------------------- quality


def _at(days_ago: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days_ago)


def _label(at: dt.datetime, label: str, predicted: str, case: Any = None) -> None:
    TrainingLabel.objects.create(task="type", text="x", label=label, predicted=predicted, created_at=at, case=case)


def test_accuracy_per_week_counts_latest_label_per_case(org: Org) -> None:
    now = timezone.now()
    this = quality.week_start(now)
    monday = timezone.make_aware(dt.datetime.combine(this, dt.time(10)))
    case = _cases(org, 1)[0]
    _label(monday, "0201", "0201")
    _label(monday, "0201", "0701")
    _label(monday, "0701", "0701", case)  # confirmed, then corrected: only the correction counts
    _label(monday + dt.timedelta(minutes=5), "0202", "0701", case)
    last = monday - dt.timedelta(days=7)
    _label(last, "0201", "0201")
    rows = quality.accuracy_by_week(now=now)
    assert len(rows) == 26 and rows[-1]["week"] == this
    assert (rows[-1]["n"], rows[-1]["confirmed"], rows[-1]["accuracy"]) == (3, 1, round(1 / 3, 4))
    assert (rows[-2]["n"], rows[-2]["accuracy"]) == (1, 1.0)
    assert rows[0]["accuracy"] is None
    conf = quality.confusion(now=now)
    names = {(c["predicted"], c["decided"]): c["n"] for c in conf}
    assert sum(names.values()) == 2 and all(p != d for p, d in names)


def test_low_confidence_share_and_margin_queue(org: Org) -> None:
    cases = _cases(org, 4, category=None)
    TriageResult.objects.filter(case__in=cases).update(ran_at=timezone.now(), confident=False, needs_review=True)
    TriageResult.objects.filter(case=cases[0]).update(confident=True)
    tops = [[{"code": "0201", "p": 0.9}, {"code": "0202", "p": 0.05}], [{"code": "0201", "p": 0.4}, {"code": "0701", "p": 0.35}],
            [{"code": "0201", "p": 0.5}, {"code": "0701", "p": 0.2}], []]  # fmt: skip
    for c, top in zip(cases, tops, strict=True):
        TriageResult.objects.filter(case=c).update(type_top=top)
    rows = quality.low_confidence_by_week()
    assert (rows[-1]["n"], rows[-1]["low"], rows[-1]["share"]) == (4, 3, 0.75)
    queue = quality.learning_queue(Case.objects.values("pk"))
    assert [r.case_id for r in queue] == [cases[3].pk, cases[1].pk, cases[2].pk]  # margins 0, 0.05, 0.3
    assert [r.margin for r in queue] == [0.0, 0.05, 0.3]


def test_drift_hand_computed() -> None:
    from collections import Counter

    a, b = ("0201", "邻里纠纷"), ("0701", "欠薪")
    # recent 20/60 vs base 40/40: share of 0701 0.75 vs 0.5; pooled p = 100/160 = 0.625,
    # se = sqrt(0.625 * 0.375 * (1/80 + 1/80)) = 0.07655, z = 0.25 / 0.07655 = 3.27 >= 3
    got = quality.drift_from(Counter({a: 20, b: 60}), Counter({a: 40, b: 40}))
    assert [(d.code, d.z, d.rising) for d in got] == [("0201", -3.27, False), ("0701", 3.27, True)] or [
        (d.code, d.z, d.rising) for d in got
    ] == [("0701", 3.27, True), ("0201", -3.27, False)]
    # recent 10/30 vs 40/40: z = 0.25 / sqrt(0.5833 * 0.4167 * (1/40 + 1/80)) = 2.62 < 3: no drift
    assert quality.drift_from(Counter({a: 10, b: 30}), Counter({a: 40, b: 40})) == []


def test_drift_reads_cases(org: Org) -> None:
    base = _cases(org, 2, "0201") + _cases(org, 2, "0701")
    Case.objects.filter(pk__in=[c.pk for c in base]).update(created_at=_at(56))
    _cases(org, 2, "0701")
    assert quality.drift() == []  # too few cases for z >= 3


# ------------------------------------------------------------------------------------------- pages


def _client(user: Any) -> Client:
    """Signed in; administrators also verified by their second factor (TOTP), as the pages require."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fengqiao.org.otp import otp_required

    c = Client()
    c.force_login(user)
    if otp_required(user):
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return c


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("sysadmin", 200),
        ("dispatcher", 200),
        ("county_leader", 200),
        ("supervisor", 200),
        ("handler1", 403),
        ("leader1", 403),
    ],
)
def test_quality_pages_permission_matrix(org: Org, who: str, status: int) -> None:
    c = _client(org.user(who))
    for name in ("triage:quality", "triage:versions", "triage:overrides"):
        assert c.get(reverse(name)).status_code == status, name


def test_pages_render_in_chinese_and_only_admin_gets_forms(org: Org) -> None:
    rule = _history(org)
    body = _client(org.user("sysadmin")).get(reverse("triage:overrides")).content.decode()
    assert "多数改派至 仙居县住房和城乡建设局（5 次）" in body and "采纳" in body and rule.name in body
    body = _client(org.user("dispatcher")).get(reverse("triage:overrides")).content.decode()
    assert "建议" in body and 'value="accept"' not in body
    body = _client(org.user("dispatcher")).get(reverse("triage:quality")).content.decode()
    assert "分流质量" in body and "plotly" in body and "<script>" not in body
    # a non-admin POST is refused with a message, nothing changes
    resp = _client(org.user("dispatcher")).post(
        reverse("triage:suggestion"),
        {"rule": rule.pk, "kind": "new_rule", "target": org.dept2.pk, "decision": "accept"},
    )
    assert resp.status_code == 302 and RoutingRule.objects.count() == 1
    resp = _client(org.user("sysadmin")).post(
        reverse("triage:suggestion"),
        {"rule": rule.pk, "kind": "new_rule", "target": org.dept2.pk, "decision": "accept"},
    )
    assert RoutingRule.objects.count() == 2


def test_learning_queue_scoped(org: Org) -> None:
    case = _cases(org, 1, category=None)[0]
    TriageResult.objects.filter(case=case).update(needs_review=True, confident=False)
    assert case.display_code in _client(org.user("dispatcher")).get(reverse("triage:learning_queue")).content.decode()
    assert case.display_code not in _client(org.user("handler2")).get(reverse("triage:learning_queue")).content.decode()
    assert _client(org.user("supervisor")).get(reverse("triage:learning_queue")).status_code == 403
