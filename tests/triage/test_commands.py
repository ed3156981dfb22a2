"""triage-train, triage-eval (incl. --cv) and triage-setup; the shipped models' provenance."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from fengqiao.triage.ml import registry, training
from fengqiao.triage.ml.classifier import TextClassifier, fingerprint, read_table
from fengqiao.triage.models import ClassifierVersion, RiskTerm, TrainingLabel

pytestmark = pytest.mark.django_db

SHARED_CSV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "triage" / "citizen_messages_train.csv"
DOMAIN_CSV = training.SHIPPED_DATA["domain"]
TYPE_CSV = training.SHIPPED_DATA["type"]


@pytest.fixture
def model_dir(tmp_path: Path) -> Any:
    with override_settings(FENGQIAO_MODEL_DIR=tmp_path / "models", TRIAGE_REGISTRY_CHECK_SECONDS=0):
        registry.clear_cache()
        yield tmp_path / "models"
    registry.clear_cache()


@pytest.fixture(scope="module")
def shipped_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model folder for the module: triage-setup trains once, later runs find the files current."""
    return tmp_path_factory.mktemp("shipped")


def _small_csv(path: Path, per_label: int = 12) -> Path:
    """A sample of the shipped domain examples (project-written)."""
    with open(DOMAIN_CSV, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    seen: dict[str, int] = {}
    keep = []
    for r in rows:
        if seen.get(r["label"], 0) < per_label:
            seen[r["label"]] = seen.get(r["label"], 0) + 1
            keep.append(r)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["subject", "text", "label"])
        w.writeheader()
        w.writerows(keep)
    return path


def _run(name: str, *args: str) -> dict[str, Any]:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return json.loads(out.getvalue())


def test_train_then_eval_prints_the_figures(model_dir: Path, tmp_path: Path) -> None:
    data = _small_csv(tmp_path / "sample.csv")
    model_path = tmp_path / "m.model"
    result = _run("triage-train", "--csv", str(data), "--out", str(model_path))
    assert model_path.exists() and result["samples"] == 84 and len(result["classes"]) == 7
    assert not ClassifierVersion.objects.exists()  # not registered unless asked

    report = _run("triage-eval", "--csv", str(data), "--model", str(model_path))
    assert set(report) >= {"macro_f1", "accuracy", "per_class", "latency_ms", "n"}
    assert report["macro_f1"] > 0.9  # its own training data
    assert set(report["per_class"]["环境保护"]) == {"precision", "recall", "f1", "support"}
    assert report["per_class"]["环境保护"]["support"] == 12
    assert set(report["latency_ms"]) >= {"p50", "p95", "p99"} and report["latency_ms"]["n"] == 84


def test_eval_on_messages_it_has_not_seen(model_dir: Path, tmp_path: Path) -> None:
    model_path = tmp_path / "m.model"
    _run("triage-train", "--csv", str(_small_csv(tmp_path / "s.csv", 20)), "--out", str(model_path))
    report = _run("triage-eval", "--csv", str(DOMAIN_CSV), "--model", str(model_path), "--latency-samples", "20")
    assert 0.5 < report["macro_f1"] < 1.0 and report["latency_ms"]["n"] == 20


def test_eval_cross_validation(tmp_path: Path) -> None:
    report = _run("triage-eval", "--csv", str(_small_csv(tmp_path / "s.csv", 9)), "--cv", "3")
    assert report["folds"] == 3 and len(report["fold_macro_f1"]) == 3 and report["n"] == 63
    assert 0 < report["macro_f1"] <= 1 and "p99" in report["latency_ms"]


def test_train_from_excel_register_and_activate(model_dir: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    texts, labels = read_table(_small_csv(tmp_path / "s.csv", 8), ["subject", "text"], "label")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["标题", "内容", "领域"])
    for t, lab in zip(texts, labels, strict=True):
        ws.append([t.split("\n")[0], t.split("\n")[-1], lab])
    wb.save(tmp_path / "history.xlsx")
    result = _run(
        "triage-train",
        "--csv",
        str(tmp_path / "history.xlsx"),
        "--text-columns",
        "标题,内容",
        "--label-column",
        "领域",
        "--task",
        "domain",
        "--model-version",
        "county-2026",
        "--activate",
    )
    cv = ClassifierVersion.objects.get(task="domain", version="county-2026")
    assert cv.is_active and result["active"] and cv.samples == 56 and cv.data_sha256 == result["data_sha256"]
    assert (model_dir / cv.path).exists()  # stored relative to FENGQIAO_MODEL_DIR
    p = registry.predict("domain", "工厂拖欠工人工资三个月")
    assert p is not None and p.version == "county-2026" and p.top[0][0].startswith("D")


def test_corrections_are_added_to_the_next_training(model_dir: Path, tmp_path: Path) -> None:
    data = _small_csv(tmp_path / "s.csv", 6)
    TrainingLabel.objects.create(task="domain", text="县城到白塔的班车取消了，出行不便", label="D03")
    TrainingLabel.objects.create(task="domain", text="学校食堂饭菜太贵", label="D04")
    TrainingLabel.objects.create(task="type", text="欠薪", label="0701")  # another task: not used
    result = _run("triage-train", "--csv", str(data), "--include-corrections", "--out", str(tmp_path / "m.model"))
    assert result["samples"] == 42 + 2
    assert result["sources"][-1] == "TrainingLabel (2)"
    model = TextClassifier.load(tmp_path / "m.model")
    assert set(model.classes_) == set(read_table(data, ["subject", "text"], "label")[1])  # codes became names
    texts, labels = read_table(data, ["subject", "text"], "label")
    expected = fingerprint(
        [*texts, "县城到白塔的班车取消了，出行不便", "学校食堂饭菜太贵"], [*labels, "交通运输", "教育文体"]
    )
    assert model.data_sha256 == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "需要 --csv"),
        (("--csv", "/nonexistent/x.csv"), "文件不存在"),
        (("--csv", str(DOMAIN_CSV), "--label-column", "domain"), "missing column"),
    ],
)
def test_train_bad_input(model_dir: Path, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("triage-train", *args, stdout=StringIO())
    assert not ClassifierVersion.objects.exists() and not model_dir.exists()


def test_eval_bad_input(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="需要 --model"):
        call_command("triage-eval", "--csv", str(DOMAIN_CSV), stdout=StringIO())
    (tmp_path / "bad.model").write_bytes(b"junk")
    with pytest.raises(CommandError, match="无法读取模型"):
        call_command("triage-eval", "--csv", str(DOMAIN_CSV), "--model", str(tmp_path / "bad.model"), stdout=StringIO())
    with pytest.raises(CommandError, match="至少为 2"):
        call_command("triage-eval", "--csv", str(DOMAIN_CSV), "--cv", "1", stdout=StringIO())


def test_setup_is_idempotent_and_fingerprints_match_the_project_files(shipped_dir: Path) -> None:
    with override_settings(FENGQIAO_MODEL_DIR=shipped_dir, TRIAGE_REGISTRY_CHECK_SECONDS=0):
        registry.clear_cache()
        first = training.setup_shipped()
        assert first["risk_terms_added"] >= 80 and RiskTerm.objects.count() == first["risk_terms_added"]
        for task, data_file in training.SHIPPED_DATA.items():
            texts, labels = read_table(data_file, ["subject", "text"], "label")
            cv = ClassifierVersion.objects.get(task=task, is_active=True)
            assert cv.data_sha256 == fingerprint(texts, labels)
            assert (
                TextClassifier.read_header(registry.resolve_path(cv.path))["metadata"]["data_sha256"] == cv.data_sha256
            )
            assert cv.sources == [f"fengqiao/triage/data/{data_file.name}"]
        type_classes = TextClassifier.load(registry.shipped_path("type")).classes_
        from fengqiao.cases.models import Category

        assert set(type_classes) == set(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))

        RiskTerm.objects.filter(phrase="上访").update(weight=5)  # an admin edit survives a rerun
        out = StringIO()
        call_command("triage-setup", stdout=out)
        again = json.loads(out.getvalue()[out.getvalue().index("{") :])
        assert not again["type"]["trained"] and not again["domain"]["trained"] and again["risk_terms_added"] == 0
        assert ClassifierVersion.objects.count() == 2 and RiskTerm.objects.get(phrase="上访").weight == 5

        # a county's own active model is not replaced by the shipped one
        ClassifierVersion.objects.filter(task="domain").update(is_active=False)
        own = ClassifierVersion.objects.create(task="domain", version="own", path="x.model", is_active=True)
        training.setup_shipped()
        own.refresh_from_db()
        assert own.is_active and ClassifierVersion.objects.filter(task="domain", is_active=True).count() == 1

        p = registry.predict("type", "老板拖欠我们四个月工资，一直不给")
        assert p is not None and p.code == "0701" and p.top[0][1] == "欠薪"
    registry.clear_cache()


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="shared development data set not present")
def test_shipped_examples_share_no_text_with_the_shared_data_set() -> None:
    texts, _ = read_table(SHARED_CSV, ["subject", "text"], "label")
    big = "\n".join(texts)
    for data_file in training.SHIPPED_DATA.values():
        mine, _ = read_table(data_file, ["subject", "text"], "label")
        for t in mine:
            for k in range(0, max(1, len(t) - 14)):
                window = t[k : k + 15]
                assert window not in big, (data_file.name, window)


def test_shipped_models_suggest_type_and_domain_on_a_new_case(shipped_dir: Path, org: Any) -> None:
    """End to end: after triage-setup, a new case without a type gets the classifier's suggestions."""
    from fengqiao.cases.actions import register_case
    from fengqiao.triage.models import TriageResult
    from tests.conftest import case_payload

    with override_settings(FENGQIAO_MODEL_DIR=shipped_dir, TRIAGE_REGISTRY_CHECK_SECONDS=0):
        registry.clear_cache()
        training.setup_shipped()
        payload = case_payload(
            org,
            category=None,
            title="厂里拖欠工资",
            description="我在镇上的工艺品厂上班，老板已经四个月没发工资了，眼看要过年，一家人等着钱用。",
        )
        case, _ = register_case(org.actor("dispatcher"), payload, via="test")
        tr = TriageResult.objects.get(case=case)
        assert tr.type_top and tr.type_top[0]["code"] == "0701"
        assert tr.domain_top and tr.domain_top[0]["code"] == "D05"
        assert tr.risk.get("level") in {"low", "medium", "high"}
        assert any("欠薪" in r for r in tr.risk.get("reasons", []))
    registry.clear_cache()
