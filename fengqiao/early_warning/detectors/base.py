"""What every warning model shares: its parameters and their validation, the level thresholds, the
finding it reports, and the registry of built-in models."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from fengqiao.early_warning.detectors.snapshot import Snapshot, Touched

LEVEL_ORDER = ("blue", "yellow", "orange", "red")
MAX_EVIDENCE = 500  # evidence cases kept on a warning


@dataclass(frozen=True)
class Param:
    """One tunable parameter: its type (int, float or list of words), bounds and label."""

    default: Any
    label: Any
    low: float | None = None
    high: float | None = None
    kind: str = "int"  # int | float | words


@dataclass
class Finding:
    """What a model found about one subject (a person, a cluster, an area × type …)."""

    key: str  # stable identity of the subject within the model
    score: float
    unit_id: int  # the owner unit (the town of an area, the unit of a backlog …)
    title: str
    explanation: str
    case_ids: list[int]
    figures: dict[str, Any] = field(default_factory=dict)
    subject: dict[str, Any] = field(default_factory=dict)
    signal_at: dt.datetime | None = None

    def fingerprint(self, code: str) -> str:
        return hashlib.sha256(f"{code}|{self.key}".encode()).hexdigest()


class Detector(ABC):
    """A built-in warning model. Subclasses set ``code``, ``name``, ``kind``, ``params``, ``thresholds``
    and implement :meth:`detect`; the class docstring is the model's explanation."""

    code: ClassVar[str]
    name: ClassVar[Any]
    kind: ClassVar[str]
    params: ClassVar[dict[str, Param]] = {}
    thresholds: ClassVar[dict[str, float]] = {"blue": 1, "yellow": 2, "orange": 3, "red": 4}
    # Match an open warning by shared cases when the subject's key moved (a cluster that grew).
    match_by_cases: ClassVar[bool] = False

    def defaults(self) -> dict[str, Any]:
        return {k: p.default for k, p in self.params.items()}

    def resolved(self, params: dict[str, Any]) -> dict[str, Any]:
        out = self.defaults()
        out.update({k: v for k, v in (params or {}).items() if k in self.params})
        return out

    def lookback_days(self, params: dict[str, Any]) -> int:
        return int(params.get("window_days", 30))

    def validate(self, params: dict[str, Any], thresholds: dict[str, Any]) -> dict[str, list[str]]:
        """Plain-Chinese errors per field ("params", "thresholds"); empty when valid."""
        errors: dict[str, list[str]] = {}
        if not isinstance(params, dict):
            return {"params": [str(_("参数须为键值对。"))]}
        for name, value in params.items():
            spec = self.params.get(name)
            if spec is None:
                errors.setdefault("params", []).append(str(_("没有参数“%(name)s”。") % {"name": name}))
                continue
            if spec.kind == "words":
                if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
                    errors.setdefault("params", []).append(
                        str(_("“%(label)s”须为非空词语列表。") % {"label": spec.label})
                    )
                continue
            number_ok = isinstance(value, int | float) and not isinstance(value, bool)
            if spec.kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
                number_ok = False
            if (
                not number_ok
                or (spec.low is not None and value < spec.low)
                or (spec.high is not None and value > spec.high)
            ):
                errors.setdefault("params", []).append(
                    str(
                        _("“%(label)s”须为 %(low)s 至 %(high)s 之间的数。")
                        % {"label": spec.label, "low": spec.low, "high": spec.high}
                    )
                )
        if thresholds:
            if not isinstance(thresholds, dict) or set(thresholds) != set(LEVEL_ORDER):
                errors.setdefault("thresholds", []).append(str(_("须给出蓝、黄、橙、红四级的阈值。")))
            else:
                values = [thresholds[k] for k in LEVEL_ORDER]
                if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                    errors.setdefault("thresholds", []).append(str(_("阈值须为数字。")))
                elif any(b <= a for a, b in itertools.pairwise(values)):
                    errors.setdefault("thresholds", []).append(str(_("阈值须按蓝、黄、橙、红递增。")))
        return errors

    def level_for(self, score: float, thresholds: dict[str, float] | None) -> int:
        """1–4 for blue–red, 0 when the score is under the blue threshold."""
        t = thresholds or self.thresholds
        level = 0
        for i, key in enumerate(LEVEL_ORDER, start=1):
            if score >= float(t[key]):
                level = i
        return level

    @abstractmethod
    def detect(self, snap: Snapshot, params: dict[str, Any], touched: Touched | None, scope: str = "") -> list[Finding]:
        """The findings of this model over ``snap`` (each concrete model defines it)."""

    def covers(self, subject: dict[str, Any], touched: Touched | None) -> bool:
        """Whether a run with ``touched`` recomputed this subject (so a missing finding means the
        signal is gone). A full run covers everything."""
        return touched is None


REGISTRY: dict[str, Detector] = {}


def register(cls: type[Detector]) -> type[Detector]:
    REGISTRY[cls.code] = cls()
    return cls


def get(code: str) -> Detector | None:
    from fengqiao.early_warning import detectors  # noqa: F401  (imports every model module)

    return REGISTRY.get(code)
