"""The built-in warning models (each module registers its detectors)."""

from fengqiao.early_warning.detectors import area, base, group, other, person  # noqa: F401
from fengqiao.early_warning.detectors.base import REGISTRY, get

registry = base
__all__ = ["REGISTRY", "get", "registry"]
