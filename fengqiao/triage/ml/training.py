"""Training, registering and activating triage classifiers (Django side of ``fengqiao.triage.ml``).

Used by ``fengqiao triage-train``, ``triage-eval`` and ``triage-setup``; see docs/triage-classifier.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.triage.ml import registry
from fengqiao.triage.ml.classifier import TextClassifier, fingerprint, read_table

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SHIPPED_DATA = {"type": DATA_DIR / "type_examples.csv", "domain": DATA_DIR / "domain_examples.csv"}
SHIPPED_COLUMNS = (["subject", "text"], "label")


@dataclass
class Dataset:
    texts: list[str]
    labels: list[str]
    sources: list[str]

    @property
    def sha256(self) -> str:
        return fingerprint(self.texts, self.labels)


def correction_rows(task: str, label_style: str) -> tuple[list[str], list[str]]:
    """TrainingLabel rows of the task (dispatcher corrections and confirmations), the label written as a
    code or as a name (``label_style``) to match the file they are added to."""
    from fengqiao.triage.models import TrainingLabel

    by_code, _by_name = registry.label_names(task)
    texts, labels = [], []
    for text, label in TrainingLabel.objects.filter(task=task).order_by("pk").values_list("text", "label"):
        if label_style == "name":
            label = by_code.get(label, label)
        texts.append(text)
        labels.append(label)
    return texts, labels


def label_style(task: str, labels: list[str]) -> str:
    """ "name" when the file's labels are mostly names of categories/domains, else "code"."""
    if not labels:
        return "code"
    by_code, by_name = registry.label_names(task)
    names = sum(1 for lab in labels if lab in by_name and lab not in by_code)
    return "name" if names > len(labels) / 2 else "code"


def load_dataset(
    task: str,
    files: list[str],
    text_columns: list[str],
    label_column: str,
    *,
    include_corrections: bool = False,
) -> Dataset:
    texts: list[str] = []
    labels: list[str] = []
    sources: list[str] = []
    for f in files:
        t, lab = read_table(f, text_columns, label_column)
        texts += t
        labels += lab
        sources.append(f"{Path(f).name} ({len(t)})")
    if include_corrections:
        t, lab = correction_rows(task, label_style(task, labels))
        texts += t
        labels += lab
        sources.append(f"TrainingLabel ({len(t)})")
    return Dataset(texts, labels, sources)


def register(
    task: str,
    model: TextClassifier,
    path: Path,
    *,
    sources: list[str],
    metrics: dict[str, Any] | None = None,
    activate: bool = False,
    notes: str = "",
) -> Any:
    """Create (or update, same task and version) the ClassifierVersion of a saved model file."""
    from fengqiao.triage.models import ClassifierVersion

    meta = model.metadata
    try:
        stored = str(path.resolve().relative_to(registry.model_dir().resolve()))
    except ValueError:
        stored = str(path.resolve())
    with transaction.atomic():
        cv, _ = ClassifierVersion.objects.update_or_create(
            task=task,
            version=meta["version"],
            defaults={
                "path": stored,
                "samples": meta["n_samples"],
                "data_sha256": meta["data_sha256"],
                "sources": sources,
                "metrics": metrics or {},
                "notes": notes,
            },
        )
        if activate:
            activate_version(cv)
    return cv


def activate_version(cv: Any) -> None:
    """Make ``cv`` the one active version of its task."""
    from fengqiao.triage.models import ClassifierVersion

    with transaction.atomic():
        ClassifierVersion.objects.filter(task=cv.task, is_active=True).exclude(pk=cv.pk).update(is_active=False)
        if not cv.is_active:
            cv.is_active = True
            cv.save(update_fields=["is_active"])


def setup_shipped(*, force_activate: bool = False, out: Any = None) -> dict[str, Any]:
    """Train (when missing or stale) the shipped type and domain models into FENGQIAO_MODEL_DIR, register
    them, activate them where no other version is active, and seed the risk lexicon. Idempotent."""
    from fengqiao.triage.models import ClassifierVersion

    report: dict[str, Any] = {}
    for task, data_file in SHIPPED_DATA.items():
        ds = load_dataset(task, [str(data_file)], *SHIPPED_COLUMNS)
        version = f"shipped-{ds.sha256[:12]}"
        path = registry.shipped_path(task)
        model: TextClassifier | None = None
        if path.exists():
            try:
                header = TextClassifier.read_header(path)["metadata"]
                if header.get("data_sha256") == ds.sha256 and header.get("version") == version:
                    model = TextClassifier.load(path)
            except Exception:
                model = None
        trained = False
        if model is None:
            started = time.perf_counter()
            model = TextClassifier().fit(ds.texts, ds.labels, version=version)
            model.save(path)
            trained = True
            if out is not None:
                out.write(
                    f"  {task}: trained {version} on {len(ds.texts)} examples in {time.perf_counter() - started:.1f} s\n"
                )
        active = ClassifierVersion.objects.filter(task=task, is_active=True).first()
        replace = force_activate or active is None or active.version.startswith("shipped-")
        cv = register(
            task,
            model,
            path,
            sources=[f"fengqiao/triage/data/{data_file.name}"],
            metrics={"classes": len(model.classes_), "samples": len(ds.texts)},
            activate=replace,
            notes="项目自写示例训练的内置模型（fengqiao triage-setup）",
        )
        ClassifierVersion.objects.filter(pk=cv.pk).update(origin="shipped")
        if cv.is_active:
            ClassifierVersion.objects.filter(pk=cv.pk, promoted_at__isnull=True).update(promoted_at=timezone.now())
        cv.refresh_from_db()
        report[task] = {"version": version, "trained": trained, "active": cv.is_active, "path": str(path)}
    report["risk_terms_added"] = seed_risk_terms()
    registry.clear_cache()
    return report


def seed_risk_terms() -> int:
    """RiskTerm rows for the shipped lexicon's phrases that have none yet (edits in admin are kept)."""
    from fengqiao.triage import risk
    from fengqiao.triage.models import RiskTerm

    existing = set(RiskTerm.objects.values_list("phrase", flat=True))
    new = [
        RiskTerm(phrase=p, category=c, weight=w, note="内置词库")
        for p, (c, w) in risk.load_lexicon_file().items()
        if p not in existing
    ]
    RiskTerm.objects.bulk_create(new)
    risk.invalidate()
    return len(new)
