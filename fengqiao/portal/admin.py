from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fengqiao.core import adminlabels
from fengqiao.notify.models import MessageTemplate


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = [adminlabels.column("event_code", "event", _("事件")), "text", "is_active", "updated_at"]
    list_editable = ["is_active"]
    search_fields = ["event_code", "name", "text"]
