from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fengqiao.cases import policy
from fengqiao.cases.events import event_label
from fengqiao.cases.models import Case, CaseEvent, Category, Domain, Party, RevealGrant
from fengqiao.org.models import Unit, User


class UnitBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind"]


class UnitSerializer(serializers.ModelSerializer):
    tier = serializers.IntegerField(read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name", "kind", "parent", "tier", "depth", "contact_name", "allows_anonymous"]


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "parent", "level"]


class DomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ["code", "name"]


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    unit = UnitBriefSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "title", "unit", "roles"]

    def get_roles(self, obj: User) -> list[dict[str, Any]]:
        return [{"role": g.role, "unit": g.unit_id, "unit_name": g.unit.name} for g in obj.role_grants()]


class CaseListSerializer(serializers.ModelSerializer):
    display_code = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    category = serializers.SerializerMethodField()
    owner_unit = UnitBriefSerializer(read_only=True)
    handler = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "code", "display_code", "title", "state", "state_label", "category", "channel", "level", "colour",
            "priority", "risk", "owner_unit", "handler", "created_at", "due_at", "version",
        ]

    @extend_schema_field(serializers.DictField())
    def get_category(self, obj: Case) -> dict[str, str] | None:
        return {"code": obj.category.code, "name": str(obj.category)} if obj.category else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_handler(self, obj: Case) -> str | None:
        return str(obj.handler) if obj.handler else None


class PartyOutSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["id", "role", "kind", "name", "phone", "id_number", "vulnerable"]

    def _revealed(self) -> bool:
        return bool(self.context.get("revealed"))

    def get_name(self, obj: Party) -> str:
        return obj.name if self._revealed() else obj.masked_name

    def get_phone(self, obj: Party) -> str:
        return obj.phone if self._revealed() else obj.masked_phone

    def get_id_number(self, obj: Party) -> str:
        return obj.id_number if self._revealed() else obj.masked_id_number


class CaseDetailSerializer(CaseListSerializer):
    parties = serializers.SerializerMethodField()
    pending_unit = UnitBriefSerializer(read_only=True)
    lead_unit = UnitBriefSerializer(read_only=True)
    location_unit = UnitBriefSerializer(read_only=True)
    assisting_units = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description", "domain", "anonymous", "address_text", "location_unit", "lat", "lon", "people_count",
            "pending_unit", "lead_unit", "assisting_units", "team", "parties", "accept_due", "contact_due",
            "accepted_at", "first_contact_at", "resolved_at", "closed_at", "agreement", "matter_settled",
            "grievance_settled", "result_summary", "referral", "satisfaction", "source_system", "external_ref",
            "allowed_actions",
        ]

    @extend_schema_field(PartyOutSerializer(many=True))
    def get_parties(self, obj: Case) -> list[dict[str, Any]]:
        user = self.context["request"].user
        revealed = RevealGrant.objects.filter(case=obj, user=user, expires_at__gt=timezone.now()).exists()
        return PartyOutSerializer(obj.parties.all(), many=True, context={"revealed": revealed}).data  # type: ignore[return-value]

    @extend_schema_field(UnitBriefSerializer(many=True))
    def get_assisting_units(self, obj: Case) -> list[dict[str, Any]]:
        return UnitBriefSerializer([cu.unit for cu in obj.assisting.select_related("unit")], many=True).data  # type: ignore[return-value]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_team(self, obj: Case) -> list[dict[str, Any]]:
        return [
            {"mediator": m.mediator_id, "name": m.mediator.name, "kind": m.mediator.kind, "is_lead": m.is_lead}
            for m in obj.team.select_related("mediator")
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: Case) -> list[str]:
        return policy.allowed_actions(self.context["request"].user, obj)


class EventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    actor_unit = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "id", "code", "label", "at", "actor", "actor_role", "actor_unit", "via", "state_before", "state_after",
            "before", "after", "reason", "data", "public", "version",
        ]

    def get_label(self, obj: CaseEvent) -> str:
        return event_label(obj.code)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, obj: CaseEvent) -> str | None:
        return str(obj.actor) if obj.actor else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_unit(self, obj: CaseEvent) -> str | None:
        return obj.actor_unit.name if obj.actor_unit else None


class RevealInput(serializers.Serializer):
    reason = serializers.CharField(min_length=4, max_length=200)
