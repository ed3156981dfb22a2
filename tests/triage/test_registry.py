"""Model registry: active version per task, reload on switch, shipped fallback, labels, admin activation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from fengqiao.org.models import User
from fengqiao.triage.ml import registry
from fengqiao.triage.ml.classifier import TextClassifier
from fengqiao.triage.models import ClassifierVersion, LabelSource, TrainingLabel

pytestmark = pytest.mark.django_db

WAGES = ["老板三个月没发工资", "工厂拖欠我们的工资不给", "辞职后最后一个月工资不结", "工地包工头欠工钱"]
NOISE = ["楼上半夜跺脚太吵了", "隔壁装修电钻噪音", "广场舞音响声音太大", "邻居家狗整夜叫吵得睡不着"]


def _model(version: str, labels: tuple[str, str] = ("0701", "0202")) -> TextClassifier:
    texts = WAGES + NOISE
    ys = [labels[0]] * len(WAGES) + [labels[1]] * len(NOISE)
    return TextClassifier(calibration_folds=2, min_df=1).fit(texts, ys, version=version)


@pytest.fixture
def model_dir(tmp_path: Path) -> Any:
    with override_settings(FENGQIAO_MODEL_DIR=tmp_path, TRIAGE_REGISTRY_CHECK_SECONDS=0):
        registry.clear_cache()
        yield tmp_path
    registry.clear_cache()


def test_no_model_gives_none(model_dir: Path) -> None:
    assert registry.predict("type", "老板不发工资") is None


def test_unknown_task_is_refused(model_dir: Path) -> None:
    with pytest.raises(ValueError):
        registry.predict("colour", "x")


def test_shipped_file_is_the_fallback(model_dir: Path) -> None:
    _model("shipped-x").save(registry.shipped_path("type"))
    p = registry.predict("type", "厂里欠了我两个月工资")
    assert p is not None and p.version == "shipped-x"
    assert p.top[0][:2] == ("0701", "欠薪")  # code and name from the seeded taxonomy
    assert len(p.top) == 2 and abs(sum(x[2] for x in p.top) - 1) < 1e-6


def test_active_version_wins_and_switching_reloads(model_dir: Path) -> None:
    _model("shipped-x").save(registry.shipped_path("type"))
    _model("v1").save(model_dir / "v1.model")
    _model("v2", labels=("0702", "0202")).save(model_dir / "v2.model")
    v1 = ClassifierVersion.objects.create(task="type", version="v1", path="v1.model", is_active=True)
    v2 = ClassifierVersion.objects.create(task="type", version="v2", path=str(model_dir / "v2.model"))
    p = registry.predict("type", "工厂欠工资")
    assert p is not None and p.version == "v1" and p.code == "0701"
    v1.is_active = False
    v1.save()
    v2.is_active = True
    v2.save()
    p = registry.predict("type", "工厂欠工资")
    assert p is not None and p.version == "v2" and p.code == "0702"


def test_cached_between_checks(model_dir: Path) -> None:
    _model("v1").save(model_dir / "v1.model")
    cv = ClassifierVersion.objects.create(task="type", version="v1", path="v1.model", is_active=True)
    with override_settings(TRIAGE_REGISTRY_CHECK_SECONDS=3600):
        assert registry.predict("type", "欠工资").version == "v1"  # type: ignore[union-attr]
        cv.delete()
        assert registry.predict("type", "欠工资").version == "v1"  # type: ignore[union-attr]
    assert registry.predict("type", "欠工资") is None  # checked again: nothing active, no shipped file


def test_names_as_labels_map_to_domain_codes(model_dir: Path) -> None:
    _model("d1", labels=("劳动和社会保障", "环境保护")).save(registry.shipped_path("domain"))
    p = registry.predict("domain", "工厂拖欠工资")
    assert p is not None and p.top[0][:2] == ("D05", "劳动和社会保障")


def test_confidence_threshold(model_dir: Path) -> None:
    _model("v1").save(registry.shipped_path("type"))
    with override_settings(TRIAGE_CONFIDENCE_THRESHOLD=0.0):
        assert registry.predict("type", "欠工资").confident  # type: ignore[union-attr]
    with override_settings(TRIAGE_CONFIDENCE_THRESHOLD=1.01):
        p = registry.predict("type", "欠工资")
        assert p is not None and not p.confident and p.threshold == 1.01


def test_broken_file_keeps_serving_nothing_rather_than_failing(model_dir: Path) -> None:
    (model_dir / "bad.model").write_bytes(b"not a model")
    ClassifierVersion.objects.create(task="type", version="bad", path="bad.model", is_active=True)
    assert registry.predict("type", "欠工资") is None


def test_record_label_confirmation_and_correction(new_case: Any) -> None:
    case = new_case
    user = User.objects.first()
    a = registry.record_label(case, "type", "0701", user, predicted="0701", score=0.9, model_version="v1", text="欠薪")
    b = registry.record_label(case, "domain", "D05", user, predicted="D01", score=0.4, text="欠薪")
    assert a.source == LabelSource.CONFIRMATION and b.source == LabelSource.CORRECTION
    assert TrainingLabel.objects.filter(task="type", label="0701", model_version="v1").count() == 1
    with pytest.raises(ValueError):
        registry.record_label(None, "type", "", user, text="x")
    with pytest.raises(ValueError):
        registry.record_label(None, "shape", "0701", user, text="x")


def test_record_label_defaults_to_case_text(new_case: Any) -> None:
    case = new_case
    label = registry.record_label(case, "type", "0202", None)
    assert case.title in label.text and label.case_id == case.pk


def test_admin_activate_keeps_one_active_per_task(model_dir: Path, rf: Any) -> None:
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    from fengqiao.triage.admin import ClassifierVersionAdmin

    for v in ("a", "b"):
        _model(v).save(model_dir / f"{v}.model")
    a = ClassifierVersion.objects.create(task="type", version="a", path="a.model", is_active=True)
    b = ClassifierVersion.objects.create(task="type", version="b", path="b.model")
    missing = ClassifierVersion.objects.create(task="domain", version="m", path="gone.model")
    request = rf.post("/admin/")
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = ClassifierVersionAdmin(ClassifierVersion, admin.site)
    model_admin.activate(request, ClassifierVersion.objects.filter(pk__in=[b.pk, missing.pk]))
    a.refresh_from_db(), b.refresh_from_db(), missing.refresh_from_db()
    assert b.is_active and not a.is_active and not missing.is_active
    texts = [str(m) for m in request._messages]
    assert any("模型文件不存在" in t for t in texts) and any("已启用" in t for t in texts)
    assert registry.predict("type", "欠工资").version == "b"  # type: ignore[union-attr]
    assert model_admin.file_ok(b) and not model_admin.file_ok(missing)
    b.metrics = {"macro_f1": 0.91, "per_class": {"0701": {"precision": 1, "recall": 0.5, "f1": 0.67, "support": 2}}}
    assert model_admin.macro_f1(b) == "0.910" and "0701" in model_admin.metrics_table(b)


def test_absence_is_remembered_until_the_next_check(model_dir: Path, django_assert_num_queries: Any) -> None:
    with override_settings(TRIAGE_REGISTRY_CHECK_SECONDS=3600):
        assert registry.predict("type", "欠工资") is None
        with django_assert_num_queries(0):  # no query, no file probe until the next check
            assert registry.predict("type", "欠工资") is None
        _model("v1").save(model_dir / "v1.model")
        ClassifierVersion.objects.create(task="type", version="v1", path="v1.model", is_active=True)
        assert registry.predict("type", "欠工资") is None
    assert registry.predict("type", "欠工资").version == "v1"  # type: ignore[union-attr]
