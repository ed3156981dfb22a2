"""The README's state diagram is generated from the declared transitions; keep them in step."""

from pathlib import Path

from fengqiao.cases.workflow import mermaid

ROOT = Path(__file__).resolve().parent.parent


def test_readme_state_diagram_matches_the_workflow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid()}\n```" in readme, "run: fengqiao workflow-diagram --markdown and update README.md"


def test_workflow_doc_lists_every_action() -> None:
    from fengqiao.cases.workflow import TRANSITIONS

    doc = (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8")
    missing = [name for name in TRANSITIONS if f"`{name}`" not in doc]
    assert not missing, missing
