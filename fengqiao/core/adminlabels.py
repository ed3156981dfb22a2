"""Labels instead of codes in the admin, for columns and filters whose field stores a code without
``choices`` (a role, a channel, an event). Apps register their code → label tables in ``ready()``
(``register("role", Role.choices)``), so that core's own admin (the audit log) can show a role's name
without importing the app that defines roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

_LABELS: dict[str, list[Mapping[str, Any]]] = {}


def register(kind: str, pairs: Iterable[tuple[Any, Any]] | Mapping[str, Any]) -> None:
    """Add labels of ``kind``. A mapping is kept by reference (labels added to it later count too)."""
    table = pairs if isinstance(pairs, Mapping) else {str(code): label for code, label in pairs}
    _LABELS.setdefault(kind, []).append(table)


def lookup(kind: str, code: str) -> Any | None:
    for table in reversed(_LABELS.get(kind, [])):
        if code in table:
            return table[code]
    return None


def label(kind: str, code: str) -> str:
    if not code:
        return "—"
    found = lookup(kind, code)
    return str(found) if found is not None else code


def column(field: str, kind: str, description: Any) -> Callable[[Any], str]:
    """A list_display column that shows ``field``'s label and sorts by the stored code."""

    @admin.display(description=description, ordering=field)
    def show(obj: Any) -> str:
        return label(kind, getattr(obj, field))

    show.__name__ = f"{field}_label"
    return show


def list_filter(field: str, kind: str, title: Any) -> type[admin.SimpleListFilter]:
    """A list filter over the codes present in the table, each shown by its label."""

    class CodeFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            codes = model_admin.model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct()
            return sorted(((c, label(kind, c)) for c in codes), key=lambda pair: pair[1])

        def queryset(self, request: HttpRequest, queryset: Any) -> Any:
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    CodeFilter.title = title
    CodeFilter.__name__ = f"{field.title()}Filter"
    return CodeFilter
