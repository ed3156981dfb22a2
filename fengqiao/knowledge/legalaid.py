"""Legal aid applications: registered as cases of type 1701 (法律援助申请) owned by the legal aid
centre, through the case action layer (``register_case``: triage, event, audit, deadlines from the
法律援助 deadline policy), plus the application's particulars and the income statement as a private
attachment of the case."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.cases import uploads
from fengqiao.cases.actions import ActionError, Actor, register_case
from fengqiao.cases.choices import AttachmentKind, PartyRole
from fengqiao.cases.models import Attachment, Case
from fengqiao.core import audit
from fengqiao.knowledge.choices import AidMatter
from fengqiao.knowledge.models import LegalAidApplication
from fengqiao.org.models import Unit

CATEGORY = "1701"
CENTRE_NAME = "法律援助中心"


def centre() -> Unit | None:
    """The legal aid centre: the unit named by ``FENGQIAO_LEGAL_AID_UNIT`` (its code), else the
    first active unit whose name contains 法律援助中心, else the justice bureau (司法局)."""
    code = getattr(settings, "FENGQIAO_LEGAL_AID_UNIT", "")
    if code:
        unit = Unit.objects.filter(code=code, is_active=True).first()
        if unit is not None:
            return unit
    unit = Unit.objects.filter(name__contains=CENTRE_NAME, is_active=True).order_by("depth", "pk").first()
    if unit is None:
        unit = Unit.objects.filter(name__contains="司法局", is_active=True).order_by("depth", "pk").first()
    return unit


def apply(actor: Actor, data: dict[str, Any], income_statement: UploadedFile, *, via: str = "portal") -> Case:
    """Register one application. ``data``: name, phone, id_number (optional), matter (AidMatter),
    description, opponent (optional), household_size, monthly_income, hardship (optional)."""
    unit = centre()
    if unit is None:
        raise ActionError(_("暂未设置法律援助中心，请拨打12348法律服务热线。"))
    if data.get("matter") not in AidMatter.values:
        raise ActionError(_("请选择援助事项。"), errors={"matter": [_("请选择援助事项。")]})
    checked = uploads.check(income_statement)
    matter = AidMatter(data["matter"])
    parties: list[dict[str, Any]] = [
        {
            "role": PartyRole.APPLICANT,
            "name": data["name"],
            "phone": data["phone"],
            "id_number": data.get("id_number", ""),
        }
    ]
    if data.get("opponent"):
        parties.append({"role": PartyRole.RESPONDENT, "name": data["opponent"]})
    payload = {
        "title": f"法律援助申请：{matter.label}"[:100],
        "description": data["description"],
        "category": CATEGORY,
        "channel": "web",
        "owner_unit": unit.pk,
        "parties": parties,
        "address_text": data.get("address_text", ""),
    }
    stored: Attachment | None = None
    try:
        with transaction.atomic():
            case, _created = register_case(actor, payload, via=via)
            aid = LegalAidApplication.objects.create(
                case=case,
                matter=matter,
                household_size=int(data.get("household_size") or 1),
                monthly_income=Decimal(str(data.get("monthly_income") or 0)),
                hardship=(data.get("hardship") or "")[:300],
            )
            stored = Attachment(
                case=case,
                kind=AttachmentKind.EVIDENCE,
                original_name=f"收入状况说明{checked.type.ext}",
                content_type=checked.type.content_type,
                size=checked.size,
                sha256=checked.sha256,
                public=False,
            )
            stored.file.save(f"upload{checked.type.ext}", income_statement, save=False)
            stored.save()
            audit.record(
                "knowledge.legal_aid.apply",
                username=actor.name,
                role=actor.kind,
                obj=aid,
                detail={"case": case.code, "matter": str(matter), "unit": unit.pk},
            )
    except Exception:
        if stored is not None and stored.file.name:
            stored.file.storage.delete(stored.file.name)
        raise
    return case
