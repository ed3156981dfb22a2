"""Text classification for intelligent triage (plain Python: no Django imports)."""

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
