from django.contrib import admin

from fengqiao.notify.models import MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["event_code", "name", "text", "is_active", "updated_at"]
    list_editable = ["is_active"]
    search_fields = ["event_code", "name", "text"]
