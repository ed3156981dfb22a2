"""The floors of the loop: which app may import which (declared once; ``tests/core/test_floors.py``).

An app may import its own floor and the floors below it, never a later one; no import cycle may join
two apps. The ground floor (``core``) knows no stage: later apps hand it what it runs through
registries (:mod:`fengqiao.core.registry`, :mod:`fengqiao.core.menu`, :mod:`fengqiao.core.panels`),
and a stage hears of an earlier one's events through signals and hooks (:mod:`fengqiao.cases.hooks`).

An app's doors — its pages and entry points (``views*``, ``urls*``, ``forms*``, ``admin*``,
``api*``, ``templatetags``, ``management``) — stand on the doors' floor with the staff site, whose
helpers they may use; its demo data (``demo.py``, ``demo/``) on the demo floor. The walk counts every
``import`` statement, also those inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FLOORS: dict[str, int] = {
    "core": 0,
    "org": 1,
    "mediation": 2,  # the mediator register and the case team's tables: cases' access rules read them
    "cases": 3,
    "notify": 4,  # delivery (inbox, SMS, WeChat outbox) that every later stage calls
    "supervision": 5,
    "triage": 6,
    "early_warning": 7,
    "evaluation": 7,
    "knowledge": 8,
    "gridwork": 8,  # grid work: registers cases, reads warnings, adds a metric to evaluation
    "web": 9,
    "api": 10,
    "portal": 10,
    "channels": 10,
    "atlas": 10,
    "demo": 11,
}
#: Apps whose tables stand lower than their work: cases' access rules read the mediator register and
#: the case team (``mediation.models``), while mediation's own work (agreements, sessions planned,
#: return visits) uses the case actions, supervision's files and notify. Their ``models`` and
#: ``*_models`` modules stand on the app's floor above; every other module on this one.
WORK_FLOORS: dict[str, int] = {"mediation": 8}
DOORS = 10
DEMO = 11
PROJECT = 12  # settings, urls, wsgi, the command line: they wire everything together
INFRASTRUCTURE = {"celery"}  # fengqiao/celery.py: the Celery application, on the ground floor
PROJECT_MODULES = {"settings", "urls", "wsgi", "cli", "__main__", "__init__"}
DOOR_PREFIXES = (  # an app's pages and entry points
    "views",
    "urls",
    "forms",
    "admin",
    "api",
    "templatetags",
    "management",
)

#: Imports known to break the rule, each with what it would take to remove it. The test fails on any
#: import not listed here, so the list can only shrink.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Node:
    app: str
    floor: int
    layer: str = ""  # "" (the app's own modules), "doors" or "demo"

    def __str__(self) -> str:
        return f"{self.app}{':' + self.layer if self.layer else ''}@{self.floor}"


def node_for(parts: tuple[str, ...]) -> Node | None:
    """The floor of a module given as its dotted parts below ``fengqiao``."""
    head = parts[0]
    if head in INFRASTRUCTURE:
        return Node("core", 0)
    if head in PROJECT_MODULES:
        return Node(head, PROJECT)
    if head not in FLOORS:
        return None
    rest = parts[1:]
    if rest and (rest[0] == "demo" or rest[0].startswith("demo")) and head != "demo":
        return Node(head, DEMO, "demo")
    if rest and (rest[0].startswith(DOOR_PREFIXES) or rest[0].endswith("_views")):
        return Node(head, max(FLOORS[head], DOORS), "doors")
    if head in WORK_FLOORS and rest and not (rest[0] == "models" or rest[0].endswith("_models")):
        return Node(head, WORK_FLOORS[head], "work")
    return Node(head, FLOORS[head])


@dataclass(frozen=True)
class Edge:
    source: str  # the importing file
    line: int
    target: str  # the imported module
    src: Node
    dst: Node


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


def cycles(root: Path) -> list[list[str]]:
    """Groups of apps that import one another (strongly connected components of the graph whose
    nodes are the apps' own modules, their doors and their demo data: a page of an early app using a
    later one is no cycle, a model of one using the other's and back is)."""
    graph: dict[str, set[str]] = {}
    for e in edges(root):
        if e.src.floor >= PROJECT or (e.src.app, e.dst.app) in KNOWN:
            continue
        graph.setdefault(str(e.src).split("@")[0], set()).add(str(e.dst).split("@")[0])
        graph.setdefault(str(e.dst).split("@")[0], set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out
