"""Leaders' instructions and follows, read-only: instructions are written and answered through the
action layer (``instruct`` / ``answer_instruction``), follows from the leader's page."""

from __future__ import annotations

from django.contrib import admin

from fengqiao.supervision.models import Follow, Instruction


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Instruction)
class InstructionAdmin(ReadOnly):
    list_display = ["case", "author", "created_at", "answered_by", "answered_at"]
    list_filter = [("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["case__code", "author__username", "author__display_name"]
    list_select_related = ["case", "author", "answered_by"]


@admin.register(Follow)
class FollowAdmin(ReadOnly):
    list_display = ["user", "case", "created_at"]
    search_fields = ["case__code", "user__username"]
    list_select_related = ["user", "case"]
