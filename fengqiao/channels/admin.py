from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.channels.models import CategoryMapping, ExternalSystem, InboundRecord, PreLitigation


class CategoryMappingInline(admin.TabularInline):
    model = CategoryMapping
    extra = 1


@admin.register(ExternalSystem)
class ExternalSystemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "key_id", "webhook_url", "open311", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["key_id", "created_at"]
    inlines = [CategoryMappingInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "is_active", "open311"]}),
        (_("凭据"), {"fields": ["key_id", "secret"], "description": _("签名密钥加密保存；更换密钥后请通知对方系统。")}),
        (_("字段映射与回传"), {"fields": ["field_map", "webhook_url"]}),
    ]


@admin.register(InboundRecord)
class InboundRecordAdmin(admin.ModelAdmin):
    list_display = ["system", "external_ref", "case", "original_category", "mapped", "duplicates", "received_at"]
    list_filter = ["system", "mapped"]
    search_fields = ["external_ref"]
    raw_id_fields = ["case"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PreLitigation)
class PreLitigationAdmin(admin.ModelAdmin):
    list_display = ["case", "court", "court_ref", "opened_at", "outcome", "concluded_at"]
    list_filter = ["outcome", "court"]
    raw_id_fields = ["case"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
