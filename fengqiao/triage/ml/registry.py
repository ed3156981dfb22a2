"""Model registry: the active classifier of each triage task, cached per process.

``predict(task, text)`` loads the active :class:`~fengqiao.triage.models.ClassifierVersion` of the task
(``type`` or ``domain``) and returns the top 3 labels with names and probabilities. The loaded model is
kept per process; at most every ``TRIAGE_REGISTRY_CHECK_SECONDS`` (default 30 s) one indexed query checks
whether the active version changed, and the new file is loaded if so. Without an active version the
shipped model file (``FENGQIAO_MODEL_DIR/<task>-shipped.model``, written by ``fengqiao triage-setup``) is
used when it exists; otherwise ``predict`` returns ``None`` and triage goes on without a suggestion.

``record_label`` stores a dispatcher's confirmation or correction as a :class:`TrainingLabel`, which
``fengqiao triage-train --include-corrections`` adds to the next training.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from fengqiao.triage.ml.classifier import TextClassifier

log = logging.getLogger(__name__)

TASKS = ("type", "domain")
SHIPPED_NAME = "{task}-shipped.model"


@dataclass(frozen=True)
class Prediction:
    task: str
    top: list[tuple[str, str, float]]  # (code, name, probability), most likely first
    confident: bool
    version: str
    threshold: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.top[0][0] if self.top else ""

    @property
    def score(self) -> float:
        return self.top[0][2] if self.top else 0.0


def model_dir() -> Path:
    return Path(getattr(settings, "FENGQIAO_MODEL_DIR", Path(settings.VAR_DIR) / "models"))


def shipped_path(task: str) -> Path:
    return model_dir() / SHIPPED_NAME.format(task=task)


def resolve_path(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else model_dir() / p


def threshold() -> float:
    return float(getattr(settings, "TRIAGE_CONFIDENCE_THRESHOLD", 0.6))


@dataclass
class _Loaded:
    key: tuple[Any, ...]
    model: TextClassifier
    version: str
    checked: float


_cache: dict[str, _Loaded] = {}
# no model, or a file that would not load: not looked for again until the next check
_failed: dict[str, tuple[tuple[Any, ...], float]] = {}
_names: dict[str, tuple[float, dict[str, str], dict[str, str]]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    """Forget loaded models (tests; after retraining in the same process)."""
    with _lock:
        _cache.clear()
        _failed.clear()
        _names.clear()


def _active_key(task: str) -> tuple[Any, ...]:
    from fengqiao.triage.models import ClassifierVersion

    row = (
        ClassifierVersion.objects.filter(task=task, is_active=True)
        .values_list("pk", "version", "path", "trained_at")
        .first()
    )
    if row is not None:
        return ("db", *row)
    p = shipped_path(task)
    try:
        return ("shipped", str(p), p.stat().st_mtime_ns)
    except FileNotFoundError:
        return ("none",)


def get_model(task: str) -> tuple[TextClassifier, str] | None:
    """(model, version) of the task's active classifier, or None when there is none."""
    if task not in TASKS:
        raise ValueError(f"unknown triage task {task!r}; choose from {TASKS}")
    now = time.monotonic()
    every = float(getattr(settings, "TRIAGE_REGISTRY_CHECK_SECONDS", 30))
    loaded = _cache.get(task)
    if loaded is not None and now - loaded.checked < every:
        return loaded.model, loaded.version
    failed = _failed.get(task)
    if loaded is None and failed is not None and now - failed[1] < every:
        return None  # no model, or one that would not load: look again at the next check
    key = _active_key(task)
    if loaded is not None and loaded.key == key:
        loaded.checked = now
        return loaded.model, loaded.version
    with _lock:
        if key[0] == "none":
            _cache.pop(task, None)
            _failed[task] = (key, now)
            return None
        path = resolve_path(key[3]) if key[0] == "db" else Path(key[1])
        from fengqiao.triage.ml.classifier import ModelFormatError, TextClassifier  # heavy: on first load only

        try:
            model = TextClassifier.load(path)
        except (OSError, ModelFormatError):
            log.exception("cannot load the %s classifier %s", task, path)
            _failed[task] = (key, now)
            if loaded is not None:  # keep serving the previous model rather than nothing
                loaded.checked = now
                return loaded.model, loaded.version
            return None
        version = str(key[2]) if key[0] == "db" else model.version
        _cache[task] = _Loaded(key=key, model=model, version=version, checked=now)
        _failed.pop(task, None)
        return model, version


def label_names(task: str) -> tuple[dict[str, str], dict[str, str]]:
    """(code → name, name → code) of the task's labels (leaf categories or domains), cached 60 s."""
    got = _names.get(task)
    if got is not None and time.monotonic() - got[0] < 60:
        return got[1], got[2]
    from fengqiao.cases.models import Category, Domain

    if task == "type":
        rows = list(Category.objects.filter(parent__isnull=False).values_list("code", "name"))
    else:
        rows = list(Domain.objects.values_list("code", "name"))
    by_code = {str(c): str(n) for c, n in rows}
    by_name = {n: c for c, n in by_code.items()}
    _names[task] = (time.monotonic(), by_code, by_name)
    return by_code, by_name


def predict(task: str, text: str, k: int = 3) -> Prediction | None:
    """Top ``k`` (code, name, probability) of the task's active model; None without a model."""
    got = get_model(task)
    if got is None:
        return None
    model, version = got
    by_code, by_name = label_names(task)
    top: list[tuple[str, str, float]] = []
    for label, p in model.predict_top(text, k=k):
        # models may be trained on codes ("0701", "D05") or on names ("欠薪", "劳动和社会保障")
        if label in by_code:
            top.append((label, by_code[label], p))
        elif label in by_name:
            top.append((by_name[label], label, p))
        else:
            top.append((label, label, p))
    limit = threshold()
    return Prediction(task=task, top=top, confident=bool(top) and top[0][2] >= limit, version=version, threshold=limit)


def record_label(
    case: Any = None,
    task: str = "type",
    label: str = "",
    user: Any = None,
    *,
    predicted: str = "",
    score: float | None = None,
    model_version: str = "",
    source: str = "",
    text: str | None = None,
) -> Any:
    """Store a dispatcher's confirmation (label == predicted) or correction as a TrainingLabel.

    ``text`` defaults to the case's title and description; the label is a category or domain code."""
    from fengqiao.triage.models import LabelSource, TrainingLabel

    if task not in TASKS:
        raise ValueError(f"unknown triage task {task!r}; choose from {TASKS}")
    label = str(label or "").strip()
    if not label:
        raise ValueError("empty label")
    if text is None:
        if case is None:
            raise ValueError("need a case or a text")
        text = "\n".join(s for s in (getattr(case, "title", ""), getattr(case, "description", "")) if s)
    if not source:
        source = LabelSource.CONFIRMATION if predicted and predicted == label else LabelSource.CORRECTION
    if not model_version:
        loaded = _cache.get(task)
        model_version = loaded.version if loaded is not None else ""
    return TrainingLabel.objects.create(
        task=task,
        text=str(text)[:5100],
        label=label,
        predicted=str(predicted or "")[:16],
        score=score,
        model_version=str(model_version)[:64],
        source=str(source),
        case=case,
        created_by=user,
    )
