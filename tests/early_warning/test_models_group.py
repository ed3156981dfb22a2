"""Issue, network and 民转刑 models on constructed histories."""

from __future__ import annotations

from fengqiao.early_warning.actions import perform
from fengqiao.early_warning.models import Warning
from tests.early_warning.helpers import codes_of, fresh_phone, make_case, run_only

WAGE = "宏达建筑公司拖欠我们农民工工资三个月，多次讨要无果，老板失联，请求帮助追讨工资"


def wage(i: int) -> str:
    return f"{WAGE}，本人在{i}号工地"


def test_group_issue_fires_on_similar_texts_from_different_people(org):
    cases = [make_case(org, d, text=wage(i), category="0601") for i, d in enumerate((9, 6, 4, 2))]
    for d in (5, 3):
        make_case(org, d)
    result = run_only("issue_group")
    assert codes_of(result) == ["issue_group"]
    w = result.raised[0]
    assert set(w.case_ids) == {c.pk for c in cases}
    assert w.evidence["figures"]["people"] == 4
    assert not run_only("issue_group").raised


def test_group_issue_grows_into_the_same_warning(org):
    for i, d in enumerate((9, 6, 4)):
        make_case(org, d, text=wage(i), category="0601")
    first = run_only("issue_group").raised[0]
    make_case(org, 1, text=wage(9), category="0601")
    second = run_only("issue_group")
    assert not second.raised and [w.pk for w in second.updated] == [first.pk]
    assert Warning.objects.count() == 1


def test_group_issue_quiet_for_one_person_or_unrelated_texts(org):
    phone = fresh_phone()
    for i, d in enumerate((9, 6, 4, 2)):
        make_case(org, d, phone=phone, text=wage(i), category="0601")
    for d in (8, 7, 5, 3):
        make_case(org, d)
    assert not run_only("issue_group").raised


def test_growing_issue(org):
    make_case(org, 12, text=wage(0), category="0601")
    for i, d in enumerate((6, 5, 3, 2, 1)):
        make_case(org, d, text=wage(i + 1), category="0601")
    result = run_only("issue_growth")
    assert codes_of(result) == ["issue_growth"]
    assert result.raised[0].evidence["figures"]["recent"] == 5


def test_growing_issue_quiet_when_steady(org):
    for i, d in enumerate((13, 12, 11, 10, 6, 5, 4, 3)):
        make_case(org, d, text=wage(i), category="0601")
    assert not run_only("issue_growth").raised


def test_network_of_co_applicants(org):
    a, b, c, d, e = (fresh_phone() for _ in range(5))
    make_case(org, 20, phone=a, extra_applicants=[b, c])
    make_case(org, 10, phone=c, extra_applicants=[d, e])
    make_case(org, 5)
    result = run_only("network_group")
    assert codes_of(result) == ["network_group"]
    w = result.raised[0]
    assert w.evidence["figures"]["people"] == 5 and len(w.case_ids) == 2
    assert not run_only("network_group").raised


def test_network_quiet_for_unlinked_people(org):
    for day in (20, 15, 10, 5):
        make_case(org, day, extra_applicants=[fresh_phone()])
    assert not run_only("network_group").raised


def test_crime_risk_repeated_conflict_with_threats(org):
    a, r = fresh_phone(), fresh_phone()
    make_case(org, 60, phone=a, respondent_phone=r, text="邻居占用我家宅基地堆放杂物，协商未果")
    make_case(org, 10, phone=a, respondent_phone=r, text="邻居又来闹事，扬言要砍了我家的树还要打人")
    result = run_only("crime_risk")
    assert codes_of(result) == ["crime_risk"]
    w = result.raised[0]
    assert w.evidence["figures"]["violent"] == 1 and "扬言" in w.explanation
    assert not run_only("crime_risk").raised


def test_crime_risk_quiet_without_threat_words(org):
    a, r = fresh_phone(), fresh_phone()
    make_case(org, 60, phone=a, respondent_phone=r, text="邻居占用我家宅基地堆放杂物，协商未果")
    make_case(org, 10, phone=a, respondent_phone=r, text="邻居仍未清理杂物，希望村里再次协调")
    make_case(org, 5, respondent_phone=fresh_phone(), text="有人扬言要打人，但是第一次发生")
    assert not run_only("crime_risk").raised


def test_incremental_run_with_nothing_new_raises_and_updates_nothing(org):
    """A focused (incremental) snapshot sees part of a cluster: here the four recent cases of a steady
    seven-case cluster, reached through the open network warning of their applicants. The part alone
    "grows" (4 recent, 0 before) and carries another key than the dismissed whole; before the fix the
    second run raised issue_growth and issue_group on it with not one new case."""
    a, b, c, d = (fresh_phone() for _ in range(4))
    make_case(org, 20, phone=a, extra_applicants=[b, c])
    make_case(org, 15, phone=c, extra_applicants=[d])
    for i, day in enumerate((12, 11, 10)):  # three other people, 10–12 days ago
        make_case(org, day, text=wage(i), category="0601")
    for i, (day, phone) in enumerate(zip((3, 2.5, 2, 1.5), (a, b, c, d), strict=True)):
        make_case(org, day, phone=phone, text=wage(10 + i), category="0601")
    models = ("issue_group", "issue_growth", "network_group")
    first = run_only(*models)
    # the whole cluster: 7 people → issue_group; 4 recent against 3 before (< 2×3) → no issue_growth
    assert codes_of(first) == ["issue_group", "network_group"]
    group = next(w for w in first.raised if w.model.code == "issue_group")
    assert len(group.case_ids) == 7
    perform("dismiss", group, org.user("leader1"), {"reason": "已统一答复"})
    for _ in range(2):
        again = run_only(*models, full=False)
        assert (again.raised, again.updated, again.closed) == ([], [], [])
    assert Warning.objects.count() == 2
    full = run_only(*models)  # the daily full run agrees: nothing new either
    assert not full.raised
