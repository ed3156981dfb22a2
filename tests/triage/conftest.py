"""Per-process caches of triage (gazetteer, routing rules, reference rows) must not outlive a test's
rolled-back rows: clear them after every test of this directory (other directories do not create
triage rules, and creating units clears the gazetteer by signal)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_triage_caches() -> Iterator[None]:
    from fengqiao.triage import location, pipeline, routing

    location.forget()
    routing.forget()
    pipeline.forget_reference()
    yield
    location.forget()
    routing.forget()
    pipeline.forget_reference()
