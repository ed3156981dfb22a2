"""Static assets that come from installed packages, never committed and never from a CDN.

Plotly's wheel ships ``plotly/package_data/plotly.min.js``; this finder serves it as
``vendor/plotly.min.js`` (``collectstatic`` copies it like any other static file). One chart
library serves every chart and map of the project (docs/architecture.md, "Charts and maps").
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage


def _package_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


# public name under STATIC_URL → (package, path inside the package)
VENDOR_ASSETS = {
    "vendor/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


class VendorFinder(BaseFinder):
    """Finds the files of ``VENDOR_ASSETS`` inside their installed packages."""

    def _resolve(self) -> dict[str, Path]:
        found = {}
        for name, (package, relative) in VENDOR_ASSETS.items():
            path = _package_file(package, relative)
            if path is not None:
                found[name] = path
        return found

    def check(self, **kwargs: Any) -> list[Any]:
        from django.core.checks import Error

        missing = set(VENDOR_ASSETS) - set(self._resolve())
        return [Error(f"static asset {name} not found in its package", id="fengqiao.E010") for name in sorted(missing)]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        hit = self._resolve().get(path)
        if hit is None:
            return [] if find_all else None
        return [str(hit)] if find_all else str(hit)

    def list(self, ignore_patterns: Any) -> Any:
        for name, path in self._resolve().items():
            storage = FileSystemStorage(location=str(path.parent))
            storage.prefix = str(Path(name).parent)  # type: ignore[attr-defined]
            yield path.name, storage
