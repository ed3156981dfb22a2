from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class CasePagination(PageNumberPagination):
    """Pages of ids first, then the rows of that page.

    Counting and ordering run on the case table's indexes alone (no joins, no wide columns);
    only the 50 rows of the page are then loaded with their related objects. This keeps a list
    flat as the table grows (docs/benchmarks.md).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        """``page_size`` absent → 50; present, it must be an integer from 1 to 200 (``null``, ``0`` or
        ``abc`` used to fall back to 50 silently: now a 400 that says so)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [gettext("每页条数须为 1 至 %(n)d 的整数。") % {"n": self.max_page_size}]}
            )
        return int(raw)

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, request, view)
        ids_qs = queryset.values_list("pk", flat=True)
        page_ids = super().paginate_queryset(ids_qs, request, view)
        if page_ids is None:
            return None
        ids = list(page_ids)
        if not ids:
            return []
        rows = queryset.model._base_manager.filter(pk__in=ids).select_related(*_related(queryset))
        rows.query.deferred_loading = queryset.query.deferred_loading  # keep the view's only()/defer()
        by_id = {row.pk: row for row in rows}
        return [by_id[pk] for pk in ids if pk in by_id]


def _related(queryset: QuerySet[Any]) -> list[str]:
    related = queryset.query.select_related
    if isinstance(related, dict):
        return _flatten(related)
    return []


def _flatten(tree: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, sub in tree.items():
        name = f"{prefix}{key}"
        out.append(name)
        if isinstance(sub, dict) and sub:
            out.extend(_flatten(sub, f"{name}__"))
    return out
