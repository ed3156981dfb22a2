"""Administration of the taxonomy (dispute types, domains) and a read-only view of cases and
their events: cases change only through the action layer."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _l

from fengqiao.cases.models import Case, CaseEvent, Category, Domain
from fengqiao.core import adminlabels


class CategoryLevelFilter(admin.SimpleListFilter):
    title = _l("层级")
    parameter_name = "level"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return [("1", _l("一级类型")), ("2", _l("二级类型"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> QuerySet[Category]:
        if self.value() == "1":
            return queryset.filter(parent__isnull=True)
        if self.value() == "2":
            return queryset.filter(parent__isnull=False)
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "is_active", "sort"]
    list_editable = ["is_active", "sort"]
    list_filter = [CategoryLevelFilter, "is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    list_per_page = 100

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        qs, distinct = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "category" and request.GET.get("field_name") == "parent":
            qs = qs.filter(parent__isnull=True)  # two levels only
        return qs, distinct


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the action layer."""

    list_display = ["code", "title", "state", "channel", "level", "owner_unit", "created_at"]
    list_filter = ["state", "channel", "level", "colour"]
    search_fields = ["code", "title"]
    list_select_related = ["owner_unit"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Case._meta.fields if f.name != "tracking_secret"]
    exclude = ["tracking_secret"]
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = [
        "case",
        adminlabels.column("code", "event", _l("事件")),
        "actor",
        adminlabels.column("actor_role", "role", _l("角色")),
        "actor_unit",
        "at",
        "public",
    ]
    list_filter = [adminlabels.list_filter("code", "event", _l("事件")), "public", "via"]
    search_fields = ["case__code"]
    list_select_related = ["case", "actor", "actor_unit"]
    readonly_fields = [f.name for f in CaseEvent._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
