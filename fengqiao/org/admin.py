from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from fengqiao.org.models import RoleAssignment, StandardAddress, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "short_name"]
    raw_id_fields = ["parent"]


@admin.register(StandardAddress)
class StandardAddressAdmin(admin.ModelAdmin):
    list_display = ["full_text", "grid"]
    search_fields = ["full_text"]
    raw_id_fields = ["grid"]


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "unit", "is_active"]
    search_fields = ["username", "display_name"]
    raw_id_fields = ["unit"]
    inlines = [RoleInline]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("枫桥", {"fields": ("display_name", "unit", "title")}),
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit"]
    list_filter = ["role"]
    raw_id_fields = ["user", "unit"]
