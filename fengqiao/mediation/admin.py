from django.contrib import admin

from fengqiao.mediation.models import Mediator


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "unit", "capacity", "active_cases", "available"]
    list_filter = ["kind", "available"]
    search_fields = ["name"]
    raw_id_fields = ["unit", "user"]
