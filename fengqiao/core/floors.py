"""The floors of the loop: which app may import which (declared once; ``tests/core/test_floors.py``).

An app may import its own floor and the floors below it, never a later one, and no import cycle may
join two apps. Every module of an app counts — its work, its pages and entry points (``views*``,
``urls*``, ``forms*``, ``admin*``, ``api*``, ``templatetags``, ``management``), its demo data — and
so does every ``import`` statement, also those inside functions: the app-level import graph has no
cycle, and :data:`FLOORS` is one order of it.

The ground floor (``core``) knows no stage: later apps hand it what it runs through registries
(:mod:`fengqiao.core.registry`: jobs, warm-ups, pages mounted under an earlier app's door;
:mod:`fengqiao.core.menu`; :mod:`fengqiao.core.panels`), and a stage hears of an earlier one's events
through signals and hooks (:mod:`fengqiao.cases.hooks`, :mod:`fengqiao.cases.proposals`). What every
staff page needs (the sign-in guard, the case lookups in the user's scope) is on the cases' floor
(:mod:`fengqiao.cases.doors`), so a stage's pages never import the staff site (``web``).

``python -m fengqiao.core.floors`` prints the app graph, the imports of a later floor and any cycle with
the imports that close it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

FLOORS: dict[str, int] = {
    "core": 0,
    "org": 1,
    "cases": 2,  # the action layer, the access rules, the staff pages' guard and case lookups (doors)
    "notify": 3,  # delivery (inbox, SMS, WeChat outbox) that every later stage calls
    "portal": 4,  # the citizen door: its pages and the SMS-code and private-link helpers later citizen pages use
    "mediation": 5,  # the mediator register, case teams (cases.hooks.team), agreements, sessions planned
    "supervision": 6,  # deadlines, sweep, accountability (reads mediation's sessions), case files
    "triage": 7,
    "early_warning": 8,
    "evaluation": 8,
    "knowledge": 9,  # articles, the assistant, the 案例库 from mediated cases
    "gridwork": 9,  # grid work: registers cases, reads warnings, adds a metric to evaluation
    "web": 10,  # the staff site: workbench, case page, intake, leader and supervisor views
    "api": 11,
    "channels": 11,  # hotline, ledgers, inbound systems (the court's ruling on mediation's agreements)
    "atlas": 11,
    "demo": 12,
}
PROJECT = 13  # settings, urls, wsgi, the command line: they wire everything together
INFRASTRUCTURE = {"celery"}  # fengqiao/celery.py: the Celery application, on the ground floor
PROJECT_MODULES = {"settings", "urls", "wsgi", "cli", "__main__", "__init__"}

#: Imports known to break the rule, each with what it would take to remove it. The tests fail on any
#: import not listed here, so the list can only shrink.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Node:
    app: str
    floor: int

    def __str__(self) -> str:
        return f"{self.app}@{self.floor}"


def node_for(parts: tuple[str, ...]) -> Node | None:
    """The app and floor of a module given as its dotted parts below ``fengqiao`` (None: not an app)."""
    head = parts[0]
    if head in INFRASTRUCTURE:
        return Node("core", 0)
    if head in PROJECT_MODULES:
        return Node(head, PROJECT)
    if head not in FLOORS:
        return None
    return Node(head, FLOORS[head])


@dataclass(frozen=True)
class Edge:
    source: str  # the importing file
    line: int
    target: str  # the imported module
    src: Node
    dst: Node

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target} ({self.src} → {self.dst})"


def apps(root: Path) -> list[str]:
    """The apps of the package at ``root``: its sub-packages (``__init__.py``)."""
    return sorted(p.parent.name for p in root.glob("*/__init__.py"))


def edges(root: Path) -> Iterator[Edge]:
    """Every import of another app's module (``fengqiao.<app>...``) in the package at ``root``."""
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("").parts
        if "migrations" in rel:
            continue
        src = node_for(rel)
        if src is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            if not isinstance(n, ast.Import | ast.ImportFrom):
                continue
            targets: list[str] = []
            if isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                targets = [f"{n.module}.{a.name}" for a in n.names] if n.module == "fengqiao" else [n.module]
            elif isinstance(n, ast.Import):
                targets = [a.name for a in n.names]
            for t in targets:
                tparts = tuple(t.split("."))
                if tparts[0] != "fengqiao" or len(tparts) < 2:
                    continue
                dst = node_for(tparts[1:])
                if dst is None or dst.app == src.app:
                    continue
                yield Edge(str(path.relative_to(root.parent)), n.lineno, t, src, dst)


def violations(root: Path) -> list[Edge]:
    """Imports of a later floor (not listed in :data:`KNOWN`)."""
    return [e for e in edges(root) if e.dst.floor > e.src.floor and (e.src.app, e.dst.app) not in KNOWN]


@dataclass
class Cycle:
    """Apps that import one another (a strongly connected group of the app graph) and the imports
    between them; those against the floors (to a later one) first, as they are what to remove."""

    apps: list[str]
    imports: list[Edge] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [" ↔ ".join(self.apps) + ":"]
        lines += [f"  {'↑ ' if e.dst.floor > e.src.floor else '  '}{e}" for e in self.imports]
        return "\n".join(lines)


def graph(root: Path) -> nx.DiGraph:
    """The app-level import graph (every module of an app; the project's wiring left out): each edge
    carries the imports that make it (``imports``)."""
    g = nx.DiGraph()
    for e in edges(root):
        if e.src.floor >= PROJECT or (e.src.app, e.dst.app) in KNOWN:
            continue
        if not g.has_edge(e.src.app, e.dst.app):
            g.add_edge(e.src.app, e.dst.app, imports=[])
        g.edges[e.src.app, e.dst.app]["imports"].append(e)
    return g


def cycles(root: Path) -> list[Cycle]:
    """Every group of apps joined by an import cycle, with the imports between its apps."""
    g = graph(root)
    out = []
    for group in nx.strongly_connected_components(g):
        if len(group) < 2:
            continue
        found = [e for a, b, imports in g.subgraph(group).edges(data="imports") for e in imports]
        found.sort(key=lambda e: (e.dst.floor <= e.src.floor, e.src.app, e.dst.app, e.source, e.line))
        out.append(Cycle(sorted(group), found))
    return sorted(out, key=lambda c: c.apps)


def main(argv: list[str] | None = None) -> int:
    """Print the app graph, the imports of a later floor and the cycles; exit 1 if there is any."""
    import fengqiao

    root = Path(argv[0]) if argv else Path(fengqiao.__file__).parent
    g = graph(root)
    for app in sorted(g, key=lambda a: (FLOORS.get(a, PROJECT), a)):
        below = ", ".join(sorted(g.successors(app), key=lambda a: (FLOORS.get(a, PROJECT), a)))
        print(f"{app}@{FLOORS.get(app, PROJECT)} → {below or '—'}")
    bad = violations(root)
    found = cycles(root)
    for e in bad:
        print(f"later floor: {e}")
    for c in found:
        print(f"cycle: {c}")
    return 1 if bad or found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
