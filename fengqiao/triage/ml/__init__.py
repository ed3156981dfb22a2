"""Text classification for intelligent triage (plain Python: no Django imports).

The names below are loaded on first use (NumPy, SciPy and scikit-learn weigh about 100 MiB): a web
process that never classifies — triage runs after the commit, in the background worker — never
imports them (issue #21)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fengqiao.triage.ml.classifier import (
        DEFAULT_EXAMPLES,
        ModelFormatError,
        TextClassifier,
        cross_validate,
        evaluate,
        fingerprint,
        read_table,
        train_default_domain_model,
    )

__all__ = [
    "DEFAULT_EXAMPLES",
    "ModelFormatError",
    "TextClassifier",
    "cross_validate",
    "evaluate",
    "fingerprint",
    "read_table",
    "train_default_domain_model",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("fengqiao.triage.ml.classifier"), name)
    raise AttributeError(name)
