"""The floors of the loop (fengqiao/core/floors.py): no app imports a later floor, no import cycle joins
apps when every module counts, and the ground floor runs the periodic jobs the apps registered
(fengqiao/core/registry.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

import fengqiao
from fengqiao.core import floors
from fengqiao.core.registry import JOBS

ROOT = Path(fengqiao.__file__).parent


def test_every_app_has_its_floor() -> None:
    assert [a for a in floors.apps(ROOT) if a not in floors.FLOORS] == []


def test_no_app_imports_a_later_floor() -> None:
    bad = [str(e) for e in floors.violations(ROOT)]
    assert bad == []


def test_no_import_cycle_between_apps_when_every_module_counts() -> None:
    """The app-level graph of every module (pages, admin, API, template tags, commands and demo data
    included; imports inside functions too) has no cycle; a new one fails naming its imports."""
    found = floors.cycles(ROOT)
    assert found == [], "\n" + "\n".join(str(c) for c in found)


def test_the_action_layer_imports_no_later_stage() -> None:
    later = {a for a, floor in floors.FLOORS.items() if floor > floors.FLOORS["cases"]}
    found = [
        f"{e.source}:{e.line} {e.target}"
        for e in floors.edges(ROOT)
        if e.src.app in {"cases", "org", "core"} and e.dst.app in later
    ]
    assert found == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    pkg = tmp_path / "fengqiao"
    for name, text in files.items():
        path = pkg / name
        path.parent.mkdir(parents=True, exist_ok=True)
        init = path.parent / "__init__.py"
        if not init.exists():
            init.write_text("")
        path.write_text(text)
    return pkg


def test_the_walk_sees_imports_inside_functions_and_cycles(tmp_path: Path) -> None:
    pkg = _package(
        tmp_path,
        {
            "cases/actions.py": "def f():\n    from fengqiao.triage import pipeline\n",
            "triage/pipeline.py": "from fengqiao.cases.actions import f\n",
        },
    )
    bad = floors.violations(pkg)
    assert [(e.source, e.line, e.target) for e in bad] == [("fengqiao/cases/actions.py", 2, "fengqiao.triage")]
    assert [c.apps for c in floors.cycles(pkg)] == [["cases", "triage"]]


def test_a_cycle_through_pages_counts_and_is_named_by_its_imports(tmp_path: Path) -> None:
    """A stage's page using the staff site's helpers while the staff site shows the stage: the
    graph of apps' own modules has no cycle, the graph of every module has one."""
    pkg = _package(
        tmp_path,
        {
            "triage/models.py": "",
            "triage/views.py": "from fengqiao.web.views.common import staff_required\n",
            "web/views/common.py": "def staff_required(view):\n    return view\n",
            "web/views/case.py": "def page():\n    from fengqiao.triage.models import TriageResult\n",
        },
    )
    (found,) = floors.cycles(pkg)
    assert found.apps == ["triage", "web"]
    assert [(e.source, e.line, e.target) for e in found.imports] == [
        ("fengqiao/triage/views.py", 1, "fengqiao.web.views.common"),  # against the floors: listed first
        ("fengqiao/web/views/case.py", 2, "fengqiao.triage.models"),
    ]
    text = str(found)
    assert "↑ fengqiao/triage/views.py:1 imports fengqiao.web.views.common (triage@7 → web@10)" in text
    assert "fengqiao/web/views/case.py:2 imports fengqiao.triage.models" in text
    assert [e.source for e in floors.violations(pkg)] == ["fengqiao/triage/views.py"]
    assert floors.main([str(pkg)]) == 1


def test_pages_admin_and_demo_data_stand_on_their_app_floor(tmp_path: Path) -> None:
    pkg = _package(
        tmp_path,
        {
            "mediation/demo.py": "def seed():\n    from fengqiao.knowledge import case_library\n",
            "mediation/admin.py": "from fengqiao.supervision.models import Instruction\n",
            "knowledge/views.py": "from fengqiao.cases.doors import staff_required\n",
            "demo/seed.py": "from fengqiao.knowledge import demo\n",
        },
    )
    assert [e.source for e in floors.violations(pkg)] == ["fengqiao/mediation/admin.py", "fengqiao/mediation/demo.py"]
    assert floors.cycles(pkg) == []


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
