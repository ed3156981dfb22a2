"""Grid work in the admin: read-only views for audit (every change goes through the action layer)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fengqiao.gridwork.models import Delivery, GridEvent, Patrol, Visit
from fengqiao.gridwork.models_volunteer import Activity, PointsEntry, Redemption, Reward, Volunteer


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Patrol)
class PatrolAdmin(ReadOnly):
    list_display = ["grid", "worker", "started_at", "ended_at", "checkin_count"]
    list_filter = ["started_at"]
    search_fields = ["grid__name"]
    exclude = ["client_id"]


@admin.register(Visit)
class VisitAdmin(ReadOnly):
    list_display = ["grid", "subject_kind", "purpose", "due_date", "status", "outcome"]
    list_filter = ["status", "subject_kind", "outcome"]
    exclude = ["subject_name"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ["document_title", "grid", "method", "confirmed", "delivered_at"]
    list_filter = ["method", "confirmed"]
    exclude = ["recipient_name"]


@admin.register(GridEvent)
class GridEventAdmin(ReadOnly):
    list_display = ["at", "code", "grid", "actor"]
    list_filter = ["code"]


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnly):
    list_display = ["__str__", "village", "joined_at"]
    exclude = ["name", "phone", "phone_hash"]


@admin.register(Activity)
class ActivityAdmin(ReadOnly):
    list_display = ["title", "unit", "starts_at", "capacity", "signed_up", "points_per_hour"]


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnly):
    list_display = ["at", "volunteer", "delta", "reason"]


@admin.register(Reward)
class RewardAdmin(ReadOnly):
    list_display = ["name", "village", "cost", "stock"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ["at", "reward", "volunteer", "cost"]
