"""Scheduled retraining (issue 20): grouped hold-out without leaks, the promotion rule (refused when
worse, accepted when better), versions with their data snapshot, rollback, events and audit rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from fengqiao.cases.actions import ActionForbidden, InvalidTransition
from fengqiao.core.models import AuditEntry
from fengqiao.triage import actions, learning
from fengqiao.triage.ml import registry, training
from fengqiao.triage.ml.classifier import cross_validate, read_table
from fengqiao.triage.ml.grouping import grouped_holdout, leaks, near_duplicate_groups, normalise
from fengqiao.triage.models import ClassifierVersion, LearningEvent, TrainingLabel
from tests.conftest import Org

LONG = "我家住在白塔镇上界岭村，隔壁邻居去年开始在两家中间的空地上堆放建筑材料，占用了我家的出入通道，多次协商未果"


# ------------------------------------------------------------------------------------------- grouping


def test_normalise_ignores_case_width_spaces_punctuation_digits() -> None:
    assert normalise("ＡＢ c，12 号!") == normalise("ab C 99号")


def test_groups_join_copies_and_near_duplicates_only() -> None:
    texts = [
        LONG,
        LONG + "。",  # same after normalising
        LONG.replace("去年", "前年"),  # one word changed
        "小区物业不作为，楼道灯坏了半年没人修，请住建部门督促物业公司履行合同",
        "公司拖欠我们三个月工资，老板电话不接，请劳动监察大队帮忙讨薪",
    ]
    g = near_duplicate_groups(texts).tolist()
    assert g[0] == g[1] == g[2]
    assert len({g[0], g[3], g[4]}) == 3


def test_grouped_holdout_never_trains_on_a_near_duplicate_of_a_test_item() -> None:
    texts = [LONG, "物业不作为楼道灯坏了半年", "拖欠工资三个月", LONG.replace("去年", "前年"), "路灯坏了很久没人修"]
    groups = near_duplicate_groups(texts)
    mask = [False, False, False, True, True]  # the newest two are the hold-out
    train, test = grouped_holdout(groups, mask)
    assert test.tolist() == [3, 4]
    assert 0 not in train.tolist()  # the older copy of item 3 is dropped, not trained on
    assert leaks(groups, train, test) == 0
    assert leaks(groups, [0, 1, 2], [3, 4]) == 1  # a naive split would leak


def test_grouped_cross_validation_keeps_groups_together() -> None:
    base = ["拖欠工资三个月老板不见人", "邻居占用通道堆放建筑材料", "物业不作为楼道灯坏了", "养殖场臭味熏人影响休息"]
    texts, labels, groups = [], [], []
    for i in range(24):
        lab = i % 2
        texts.append(f"{base[lab * 2 + (i // 2) % 2]}，第{i}次反映，编号{i * 7}")
        labels.append("甲" if lab else "乙")
        groups.append(i // 3)
    out = cross_validate(texts, labels, folds=3, groups=groups, calibration_folds=2)
    assert out["grouped"] is True and out["n"] == 24 and 0 <= out["macro_f1"] <= 1


# ------------------------------------------------------------------------------------------- promotion rule


def _m(macro: float, per: dict[str, tuple[float, int]]) -> dict[str, Any]:
    return {"macro_f1": macro, "per_class": {c: {"f1": f, "support": s} for c, (f, s) in per.items()}}


def test_rule_refuses_a_lower_macro_f1() -> None:
    ok, why = learning.decide(_m(0.80, {"a": (0.8, 10)}), _m(0.81, {"a": (0.8, 10)}), learning.Config())
    assert not ok and "0.800" in why and "0.810" in why and "候选" in why


def test_rule_refuses_a_class_that_drops_beyond_tolerance() -> None:
    cand = _m(0.90, {"0701": (0.70, 8), "0201": (1.0, 8), "0301": (0.2, 3)})
    act = _m(0.85, {"0701": (0.80, 8), "0201": (0.9, 8), "0301": (0.9, 3)})
    ok, why = learning.decide(cand, act, learning.Config(), {"0701": "欠薪"})
    assert not ok and "欠薪（0.80→0.70）" in why and "0301" not in why  # 3 < min support: not judged


def test_rule_accepts_not_worse_and_first_model() -> None:
    cand = _m(0.86, {"a": (0.78, 8), "b": (0.95, 8)})
    act = _m(0.85, {"a": (0.80, 8), "b": (0.90, 8)})  # a drops 0.02 <= 0.05
    assert learning.decide(cand, act, learning.Config())[0]
    assert learning.decide(cand, None, learning.Config())[0]


# ------------------------------------------------------------------------------------------- the job


def _county_labels(n: int, start: dt.datetime | None = None, step: dt.timedelta = dt.timedelta(days=1)) -> None:
    """n domain labels written like the shipped examples (each a near-duplicate of one), oldest first."""
    texts, labels = read_table(training.SHIPPED_DATA["domain"], ["subject", "text"], "label")
    _by_code, by_name = registry.label_names("domain")
    start = start or timezone.now() - dt.timedelta(days=n)
    for i in range(n):
        j = (i * 37) % len(texts)
        TrainingLabel.objects.create(
            task="domain",
            text="我想反映：" + texts[j],
            label=by_name[labels[j]],
            predicted=by_name[labels[j]],
            source="confirmation",
            created_at=start + i * step,
        )


def test_too_few_labels_skip(db: Any) -> None:
    _county_labels(10)
    out = learning.retrain("domain")
    assert out.status == "skipped" and "少于 40 条" in out.reason
    assert not ClassifierVersion.objects.exists()


@pytest.fixture
def scores(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Hold-out scores handed out in order: the candidate's, then the active model's."""
    queue: list[dict[str, Any]] = []
    monkeypatch.setattr(learning, "score", lambda *a, **k: queue.pop(0))
    return queue


def test_first_retraining_promotes_and_records_snapshot(org: Org) -> None:
    _county_labels(60)
    out = learning.retrain("domain")
    assert out.status == "promoted", out.reason
    cv = ClassifierVersion.objects.get(task="domain", is_active=True)
    assert cv.origin == "scheduled" and cv.promoted_by is None and cv.promoted_at is not None
    h = cv.holdout
    assert h["n"] == 40 and len(h["sha256"]) == 64 and h["active"] is None
    # every hold-out message has a near-duplicate among the shipped examples: those are left out
    assert h["dropped_near_duplicates"] >= 20
    assert len(cv.data_sha256) == 64 and cv.data_until is not None
    newest_train = TrainingLabel.objects.order_by("created_at")[19].created_at
    assert cv.data_until == newest_train  # the 20 oldest labels trained, the 40 newest held out
    assert list(LearningEvent.objects.order_by("id").values_list("code", flat=True)) == ["model.train", "model.promote"]
    assert AuditEntry.objects.filter(action="model.promote", username="system:triage_learning").exists()
    assert registry.get_model("domain") is not None


def test_worse_candidate_is_kept_with_reason_then_better_one_promoted(org: Org, scores: list[Any]) -> None:
    _county_labels(60)
    scores += [_m(0.9, {"D01": (0.9, 10)})]  # first run: no active model is scored
    first = learning.retrain("domain")
    active = ClassifierVersion.objects.get(is_active=True)
    # refused: lower macro-F1 than the active version on the same hold-out
    scores += [_m(0.70, {"D01": (0.7, 10)}), _m(0.80, {"D01": (0.8, 10)})]
    out = learning.retrain("domain", force=True)
    assert first.status == "promoted" and out.status == "candidate" and "低于在用版本" in out.reason
    kept = ClassifierVersion.objects.get(version=out.version)
    assert not kept.is_active and kept.promoted_at is None and "低于在用版本" in kept.decision
    assert ClassifierVersion.objects.get(is_active=True).pk == active.pk
    assert LearningEvent.objects.filter(code="model.keep", version=kept).exists()
    # accepted: not worse overall, no class drops
    scores += [_m(0.85, {"D01": (0.85, 10)}), _m(0.80, {"D01": (0.8, 10)})]
    _county_labels(25, timezone.now(), dt.timedelta(minutes=1))
    out = learning.retrain("domain")  # 25 new labels >= 20: not skipped
    assert out.status == "promoted"
    new = ClassifierVersion.objects.get(is_active=True)
    assert new.version == out.version and new.previous_id == active.pk


def test_no_new_labels_skip(org: Org, scores: list[Any]) -> None:
    _county_labels(60)
    scores += [_m(0.9, {})]
    learning.retrain("domain")
    out = learning.retrain("domain")
    assert out.status == "skipped" and "新增标签 0 条" in out.reason


def test_nightly_in_process_runs_both_tasks(org: Org) -> None:
    out = learning.nightly(in_process=True)
    assert [r["task"] for r in out] == ["type", "domain"] and {r["status"] for r in out} == {"skipped"}


# ------------------------------------------------------------------------------------------- actions


def test_rollback_and_manual_promotion_are_admin_only_and_audited(org: Org, scores: list[Any]) -> None:
    _county_labels(60)
    scores += [_m(0.9, {})]
    learning.retrain("domain")
    scores += [_m(0.95, {}), _m(0.9, {})]
    learning.retrain("domain", force=True)
    second = ClassifierVersion.objects.get(is_active=True)
    first = second.previous
    assert first is not None
    with pytest.raises(ActionForbidden):
        actions.rollback(org.user("dispatcher"), "domain")
    assert ClassifierVersion.objects.get(is_active=True).pk == second.pk  # nothing changed
    back = actions.rollback(org.user("sysadmin"), "domain", {"reason": "新版本误判增多"})
    assert back.pk == first.pk and back.is_active and back.promoted_by == org.user("sysadmin")
    assert not ClassifierVersion.objects.get(pk=second.pk).is_active
    ev = LearningEvent.objects.get(code="model.rollback")
    assert ev.actor == org.user("sysadmin") and ev.reason == "新版本误判增多" and ev.data["replaced"] == second.version
    assert AuditEntry.objects.filter(action="model.rollback", user=org.user("sysadmin")).exists()
    # promoting by hand needs a reason; then works
    with pytest.raises(actions.ActionInvalid):
        actions.promote(org.user("sysadmin"), second, {"reason": " "})
    actions.promote(org.user("sysadmin"), second, {"reason": "复核后启用"})
    assert ClassifierVersion.objects.get(is_active=True).pk == second.pk
    with pytest.raises(InvalidTransition):
        actions.promote(org.user("sysadmin"), second, {"reason": "再次"})


def test_rollback_without_previous_version_is_refused(org: Org) -> None:
    with pytest.raises(InvalidTransition):
        actions.rollback(org.user("sysadmin"), "type")
    assert not LearningEvent.objects.exists()


def test_snapshot_marks_newest_share_as_holdout(db: Any) -> None:
    _county_labels(300)
    snap = learning.snapshot("domain", learning.Config())
    assert snap.n_county == 300 and int(np.sum(snap.test_mask)) == 60  # 20 % of 300
    assert not snap.test_mask[: snap.n_base].any() and snap.test_mask[-60:].all()
