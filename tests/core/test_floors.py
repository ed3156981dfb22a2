"""The floors of the loop (fengqiao/core/floors.py): no app imports a later floor, no cycle joins apps,
and the ground floor runs the periodic jobs the apps registered (fengqiao/core/registry.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

import fengqiao
from fengqiao.core import floors
from fengqiao.core.registry import JOBS

ROOT = Path(fengqiao.__file__).parent


def test_no_app_imports_a_later_floor() -> None:
    bad = [f"{e.source}:{e.line} imports {e.target} ({e.src} → {e.dst})" for e in floors.violations(ROOT)]
    assert bad == []


def test_no_import_cycle_between_apps() -> None:
    assert floors.cycles(ROOT) == []


def test_the_action_layer_imports_no_later_stage() -> None:
    later = {"triage", "notify", "supervision", "early_warning", "evaluation", "web", "portal", "channels"}
    found = [
        f"{e.source}:{e.line} {e.target}"
        for e in floors.edges(ROOT)
        if e.src.app in {"cases", "org", "core"} and e.dst.app in later
    ]
    assert found == []


def test_the_walk_sees_imports_inside_functions_and_cycles(tmp_path: Path) -> None:
    pkg = tmp_path / "fengqiao"
    for app in ("cases", "triage"):
        (pkg / app).mkdir(parents=True)
        (pkg / app / "__init__.py").write_text("")
    (pkg / "cases" / "actions.py").write_text("def f():\n    from fengqiao.triage import pipeline\n")
    (pkg / "triage" / "pipeline.py").write_text("from fengqiao.cases.actions import f\n")
    bad = floors.violations(pkg)
    assert [(e.source, e.line, e.target) for e in bad] == [("fengqiao/cases/actions.py", 2, "fengqiao.triage")]
    assert floors.cycles(pkg) == [["cases", "triage"]]


def test_doors_may_use_the_staff_site_but_a_stage_may_not(tmp_path: Path) -> None:
    pkg = tmp_path / "fengqiao"
    (pkg / "triage").mkdir(parents=True)
    (pkg / "triage" / "views.py").write_text("from fengqiao.web.views.common import staff_required\n")
    (pkg / "triage" / "routing.py").write_text("from fengqiao.web import access\n")
    assert [e.source for e in floors.violations(pkg)] == ["fengqiao/triage/routing.py"]


def test_every_periodic_job_is_registered_and_has_its_beat_entry() -> None:
    names = set(JOBS)
    assert {
        "sweep",
        "accountability",
        "relay",
        "rating reminders",
        "evaluation",
        "warnings",
        "triage catch-up",
    } <= names
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    missing = [job.name for job in JOBS.values() if job.task and job.task not in beat]
    assert missing == []
