from django.contrib import admin

from fengqiao.cases.models import Case, CaseEvent, Category, Domain


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "is_active", "sort"]
    list_filter = ["is_active", "parent"]
    search_fields = ["code", "name"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the action layer."""

    list_display = ["code", "title", "state", "channel", "owner_unit", "created_at"]
    list_filter = ["state", "channel", "level", "colour"]
    search_fields = ["code", "title"]
    readonly_fields = [f.name for f in Case._meta.fields if f.name != "tracking_secret"]
    exclude = ["tracking_secret"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["case", "code", "actor", "at", "public"]
    list_filter = ["code", "public"]
    readonly_fields = [f.name for f in CaseEvent._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
