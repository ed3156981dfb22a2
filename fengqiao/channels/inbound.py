"""Map one external system's work order onto a case through the action layer.

Standard field names (a system's ``field_map`` renames them; see docs/channels.md):

=================  ==========================================================
external_ref       the system's own work-order number (required; idempotency key)
title              short title (default: the start of the description)
description        the matter (required)
category           the system's own category (mapped per system; else triage)
received_at        when the system received it (ISO 8601)
address            free-text address
location_code      unit code (village/grid) if the system knows it
lat, lon           WGS-84 coordinates
name, phone        the applicant (omit both, or ``anonymous: true``)
id_number          the applicant's ID number
respondent_name    the other side (person or organisation)
respondent_phone
people_count       people involved (群体性 when large)
priority           1-4
=================  ==========================================================
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from fengqiao.cases.actions import ActionInvalid, Actor, register_case
from fengqiao.cases.models import Case
from fengqiao.channels.models import CategoryMapping, ExternalSystem, InboundRecord, PreLitigation, SystemKind
from fengqiao.org.models import Unit

STANDARD_FIELDS = [
    "external_ref",
    "title",
    "description",
    "category",
    "received_at",
    "address",
    "location_code",
    "lat",
    "lon",
    "name",
    "phone",
    "id_number",
    "respondent_name",
    "respondent_phone",
    "people_count",
    "priority",
    "anonymous",
]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def map_payload(system: ExternalSystem, payload: dict[str, Any]) -> tuple[dict[str, Any], str, bool]:
    """The action layer's register input for ``payload``; also the original category and whether it
    was mapped. Raises ActionInvalid (field → message) for what cannot be mapped."""
    if not isinstance(payload, dict):
        raise ActionInvalid(gettext("请求体须为 JSON 对象。"))
    fmap = system.field_map or {}

    def get(key: str) -> Any:
        return payload.get(fmap.get(key, key))

    errors: dict[str, list[str]] = {}
    ref = _text(get("external_ref"))
    if not ref:
        errors[fmap.get("external_ref", "external_ref")] = [gettext("缺少外部工单编号。")]
    description = _text(get("description"))
    title = _text(get("title")) or description[:30]
    original = _text(get("category"))[:60]
    data: dict[str, Any] = {
        "title": title[:100],
        "description": description,
        "channel": system.channel,
        "source_system": system.code,
        "external_ref": ref[:80],
        "address_text": _text(get("address"))[:200],
        "anonymous": bool(get("anonymous")),
    }
    mapped = False
    if original:
        m = CategoryMapping.objects.filter(system=system, external_code=original).select_related("category").first()
        if m is not None:
            mapped = True
            if m.category_id:
                data["category"] = m.category.code  # type: ignore[union-attr]
            if m.domain_id:
                data["domain"] = m.domain.code  # type: ignore[union-attr]
    for key in ("received_at", "lat", "lon", "people_count", "priority"):
        value = get(key)
        if value not in (None, ""):
            data[key] = value
    code = _text(get("location_code"))
    if code:
        unit_id = Unit.objects.filter(code=code, is_active=True).values_list("pk", flat=True).first()
        if unit_id is None:
            errors[fmap.get("location_code", "location_code")] = [gettext("单位代码 %(c)s 不存在。") % {"c": code}]
        else:
            data["location_unit"] = unit_id
    parties: list[dict[str, Any]] = []
    name, phone = _text(get("name")), _text(get("phone"))
    if name or phone:
        parties.append({"role": "applicant", "name": name, "phone": phone, "id_number": _text(get("id_number"))})
    r_name, r_phone = _text(get("respondent_name")), _text(get("respondent_phone"))
    if r_name or r_phone:
        parties.append({"role": "respondent", "name": r_name, "phone": r_phone})
    if system.kind == SystemKind.COURT:
        # The court is a party to report to (诉前调解 by the court's referral).
        parties.append({"role": "third", "kind": "org", "name": system.name[:60]})
    data["parties"] = parties
    if errors:
        raise ActionInvalid(gettext("输入有误，请检查后重试。"), errors=errors)
    return data, original, mapped


def receive(system: ExternalSystem, payload: dict[str, Any]) -> tuple[Case, bool]:
    """Register the work order (or find the case it already made). Runs in the caller's transaction."""
    data, original, mapped = map_payload(system, payload)
    with transaction.atomic():
        case, created = register_case(Actor.system(system.code), data, via="inbound")
        if created:
            InboundRecord.objects.create(
                system=system, case=case, external_ref=data["external_ref"], original_category=original, mapped=mapped
            )
            if system.kind == SystemKind.COURT:
                PreLitigation.objects.create(case=case, court=system, court_ref=data["external_ref"])
        else:
            InboundRecord.objects.filter(case=case).update(duplicates=F("duplicates") + 1)
    return case, created
