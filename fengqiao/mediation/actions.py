"""The only writer of agreements, confirmations and court rulings (sessions and return visits:
:mod:`fengqiao.mediation.schedule`).

Each function runs in one transaction with the case row locked, checks the case state and the
actor's grant (:mod:`fengqiao.mediation.policy`), writes the change, one ``mediation.*`` event on
the case timeline and one audit row (:func:`fengqiao.mediation.events.record`), and queues SMS
through the notify outbox in the same transaction. Errors are the case action layer's (a plain
Chinese message and errors per field), so views and the API handle them alike."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.cases.choices import AttachmentKind
from fengqiao.cases.models import Attachment, Case, Party
from fengqiao.cases.workflow import ENDED_STATES, WORKING_STATES, State
from fengqiao.core.inputcheck import control_errors
from fengqiao.mediation import agreements, events, notices, policy
from fengqiao.mediation.models import Agreement, AgreementStatus, CourtStatus, Decision, Signature

DRAFT_STATES = WORKING_STATES | ENDED_STATES | {State.CLOSED}
COURT_STATES = ENDED_STATES | {State.CLOSED, State.ARCHIVED}
MAX_OBLIGATIONS = 10


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=pk)


def _text(data: dict[str, Any], key: str, label: str, limit: int, required: bool = True) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise ActionInvalid(_("请填写%(l)s。") % {"l": label}, {key: [_("请填写%(l)s。") % {"l": label}]})
    if len(value) > limit:
        raise ActionInvalid(_("内容过长。"), {key: [_("不能超过%(n)s字。") % {"n": limit}]})
    return value


def _staff_grant(user: Any, action: str, case: Case) -> Any:
    g = policy.grant(user, action, case)
    if g is None:
        raise ActionForbidden(_("您没有对该案件执行此操作的权限。"))
    return g


def clean_draft(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    """Check the mediator's draft; errors are keyed by the form's field names."""
    refused = control_errors(data)
    if refused:
        raise ActionInvalid(_("输入有误，请检查后重试。"), refused)
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for key, label, limit, required in (
        ("facts", "纠纷主要事实、争议事项", 3000, True),
        ("responsibilities", "各方当事人的责任", 2000, False),
        ("performance", "履行方式、时限", 1000, True),
        ("organisation", "调解组织", 120, True),
    ):
        try:
            out[key] = _text(data, key, label, limit, required)
        except ActionInvalid as exc:
            errors.update(exc.errors)
    party_ids = {p.pk for p in agreements.signing_parties(case)}
    obligations = []
    for i, row in enumerate(list(data.get("obligations") or [])[:MAX_OBLIGATIONS]):
        content = str(row.get("content") or "").strip()
        if not content and not row.get("amount") and not row.get("deadline"):
            continue  # an empty row of the form
        item: dict[str, Any] = {"party": None, "content": content, "amount": "", "deadline": ""}
        if not content:
            errors[f"obl_{i}_content"] = [_("请写明约定的义务内容。")]
        elif len(content) > 500:
            errors[f"obl_{i}_content"] = [_("不能超过500字。")]
        party = str(row.get("party") or "")
        if party:
            if not party.isdigit() or int(party) not in party_ids:
                errors[f"obl_{i}_party"] = [_("请选择本案的当事人。")]
            else:
                item["party"] = int(party)
        try:
            item["amount"] = agreements.amount_text(row.get("amount"))
        except ValueError as exc:
            errors[f"obl_{i}_amount"] = [str(exc)]
        deadline = str(row.get("deadline") or "").strip()
        if deadline:
            try:
                item["deadline"] = dt.date.fromisoformat(deadline).isoformat()
            except ValueError:
                errors[f"obl_{i}_deadline"] = [_("请填写有效日期，如 2026-12-31。")]
        obligations.append(item)
    if not obligations and not any(k.startswith("obl_") for k in errors):
        errors["obl_0_content"] = [_("请至少写明一项协议内容（谁、做什么、金额、期限）。")]
    if errors:
        raise ActionInvalid(_("协议书内容有误，请检查后重试。"), errors)
    out["obligations"] = obligations
    return out


def draft_agreement(user: Any, case: Case | int, data: dict[str, Any], *, via: str = "web") -> Agreement:
    """Write a new version of the case's agreement from ``data`` and send each party with a phone
    a private link to read and confirm it. Earlier versions still waiting are superseded."""
    with transaction.atomic():
        c = _lock(case)
        if c.state not in DRAFT_STATES:
            raise InvalidTransition(_("案件当前状态为「%(s)s」，不能拟定调解协议。") % {"s": c.get_state_display()})
        g = _staff_grant(user, "draft_agreement", c)
        if c.agreements.filter(status=AgreementStatus.CONFIRMED).exists():
            raise InvalidTransition(_("调解协议已经各方确认并封存，不能再修改。"))
        draft = clean_draft(c, data)
        if not c.parties.exists():
            raise ActionInvalid(_("案件没有当事人，无法拟定协议。"))
        tpl = agreements.active_template()
        version = (c.agreements.order_by("-version").values_list("version", flat=True).first() or 0) + 1
        text = agreements.render_text(c, {**draft, "author": user}, version, tpl.body)
        c.agreements.filter(status=AgreementStatus.SIGNING).update(status=AgreementStatus.SUPERSEDED)
        agreement = Agreement.objects.create(
            case=c,
            version=version,
            template_version=tpl.version,
            facts=draft["facts"],
            responsibilities=draft["responsibilities"],
            obligations=json.dumps(draft["obligations"], ensure_ascii=False),
            performance=draft["performance"],
            organisation=draft["organisation"],
            text=text,
            text_sha256=agreements.sha256(text),
            created_by=user,
        )
        signatures = [
            Signature.objects.create(agreement=agreement, party=p)
            for p in sorted(agreements.signing_parties(c), key=lambda p: p.pk)
        ]
        event = events.record(
            c,
            "mediation.agreement_draft",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            public=True,
            data={"agreement_id": agreement.pk, "version": version, "text_sha256": agreement.text_sha256},
        )
        for s in signatures:
            notices.invite_to_sign(c, s)
        notices.inbox(c, event, "agreement")
    return agreement


def _signature(token: str) -> Signature:
    s = Signature.objects.select_related("agreement", "agreement__case", "party").filter(token=token).first()
    if s is None:
        raise ActionInvalid(_("链接无效或已过期。"))
    return s


def decide(token: str, decision: str, reason: str = "", *, phone_hash: str, via: str = "portal") -> Signature:
    """A party's answer, after the portal proved the phone on record (``phone_hash``) by SMS code.
    Every party confirmed → the agreement is sealed; one refusal → the agreement is refused."""
    if decision not in (Decision.CONFIRMED, Decision.REFUSED):
        raise ActionInvalid(_("请选择确认或拒绝。"), {"decision": [_("请选择确认或拒绝。")]})
    reason = reason.strip()
    if decision == Decision.REFUSED and not reason:
        raise ActionInvalid(_("请写明拒绝的理由。"), {"reason": [_("请写明拒绝的理由，调解员会与您联系。")]})
    if len(reason) > 1000:
        raise ActionInvalid(_("内容过长。"), {"reason": [_("不能超过1000字。")]})
    found = _signature(token)
    with transaction.atomic():
        c = _lock(found.agreement.case_id)
        s = Signature.objects.select_for_update().select_related("agreement", "party").get(pk=found.pk)
        a = s.agreement
        if a.status != AgreementStatus.SIGNING:
            raise InvalidTransition(_("该协议已%(s)s，不能再确认。") % {"s": a.get_status_display()})
        if s.decision != Decision.PENDING:
            raise InvalidTransition(_("您已经%(d)s过该协议。") % {"d": s.get_decision_display()})
        if not phone_hash or phone_hash != s.party.phone_hash:
            raise ActionForbidden(_("手机号验证未通过。"))
        s.decision = decision
        s.reason = reason
        s.decided_at = timezone.now()
        s.phone_hash = phone_hash
        s.text_sha256 = a.text_sha256
        s.save()
        code = "mediation.agreement_confirm" if decision == Decision.CONFIRMED else "mediation.agreement_refuse"
        event = events.record(
            c,
            code,
            role="citizen",
            via=via,
            public=True,
            reason=reason,
            actor_name=f"citizen:{s.party.role}",
            data={"agreement_id": a.pk, "version": a.version, "party_role": s.party.role, "text_sha256": a.text_sha256},
        )
        notices.inbox(c, event, "agreement_refused" if decision == Decision.REFUSED else "agreement_confirmed")
        if decision == Decision.REFUSED:
            a.status = AgreementStatus.REFUSED
            a.save(update_fields=["status"])
        elif not a.signatures.exclude(decision=Decision.CONFIRMED).exists():
            seal(c, a, via=via)
    return s


def offline_confirm(user: Any, signature: Signature | int, note: str, *, via: str = "web") -> Signature:
    """A party without a mobile phone signed the printed agreement in person: the mediator records it."""
    pk = signature.pk if isinstance(signature, Signature) else signature
    note = _text({"note": note}, "note", "线下签字情况", 500)
    with transaction.atomic():
        s = Signature.objects.select_related("agreement", "party").get(pk=pk)
        c = _lock(s.agreement.case_id)
        g = _staff_grant(user, "offline_confirm", c)
        s = Signature.objects.select_for_update().select_related("agreement", "party").get(pk=pk)
        a = s.agreement
        if a.status != AgreementStatus.SIGNING or s.decision != Decision.PENDING:
            raise InvalidTransition(_("该确认已处理，不能重复登记。"))
        s.decision, s.decided_at, s.reason, s.text_sha256 = Decision.CONFIRMED, timezone.now(), note, a.text_sha256
        s.save()
        events.record(
            c,
            "mediation.agreement_confirm",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            public=True,
            reason=note,
            data={"agreement_id": a.pk, "version": a.version, "party_role": s.party.role, "offline": True},
        )
        if not a.signatures.exclude(decision=Decision.CONFIRMED).exists():
            seal(c, a, via=via)
    return s


def seal(case: Case, agreement: Agreement, *, via: str = "") -> None:
    """Store the confirmed PDF as the case's agreement attachment and write its SHA-256 on the timeline."""
    signatures = list(agreement.signatures.select_related("party").order_by("pk"))
    pdf = agreements.to_pdf(agreement.text, signatures)
    digest = agreements.sha256(pdf)
    att = Attachment(
        case=case,
        kind=AttachmentKind.AGREEMENT,
        original_name=f"人民调解协议书-{case.code}-v{agreement.version}.pdf",
        content_type="application/pdf",
        size=len(pdf),
        sha256=digest,
        public=True,
    )
    att.file.save("agreement.pdf", ContentFile(pdf), save=False)
    att.save()
    agreement.status = AgreementStatus.CONFIRMED
    agreement.sealed_at = timezone.now()
    agreement.pdf = att
    agreement.pdf_sha256 = digest
    agreement.save(update_fields=["status", "sealed_at", "pdf", "pdf_sha256"])
    if case.agreement is not True and case.state in ENDED_STATES | {State.CLOSED}:
        Case.objects.filter(pk=case.pk).update(agreement=True)
    event = events.record(
        case,
        "mediation.agreement_sealed",
        via=via,
        role="system",
        actor_name="system:mediation",
        public=True,
        # In groups of 16 so that a phone's timeline can wrap it; the data keeps it whole.
        reason="PDF SHA-256：" + " ".join(digest[i : i + 16] for i in range(0, 64, 16)),
        data={
            "agreement_id": agreement.pk,
            "version": agreement.version,
            "pdf_sha256": digest,
            "text_sha256": agreement.text_sha256,
            "attachment": att.pk,
        },
    )
    notices.inbox(case, event, "agreement_sealed")


# --------------------------------------------------------------------------------------------- 司法确认


def court_apply(user: Any, agreement: Agreement | int, court: str, *, via: str = "web") -> Agreement:
    """Record the parties' joint application for judicial confirmation of a sealed agreement (any
    mediated case, not only court referrals)."""
    pk = agreement.pk if isinstance(agreement, Agreement) else agreement
    court = _text({"court": court}, "court", "受理法院", 120)
    with transaction.atomic():
        a = Agreement.objects.get(pk=pk)
        c = _lock(a.case_id)
        g = _staff_grant(user, "court_apply", c)
        a = Agreement.objects.select_for_update().get(pk=pk)
        if a.status != AgreementStatus.CONFIRMED:
            raise InvalidTransition(_("只有经各方确认并封存的协议才能申请司法确认。"))
        if a.court_status not in (CourtStatus.NONE,):
            raise InvalidTransition(_("该协议已%(s)s。") % {"s": a.get_court_status_display()})
        if a.sealed_at and timezone.now() - a.sealed_at > dt.timedelta(days=30):
            raise InvalidTransition(_("已超过协议生效之日起三十日的申请期限。"))
        a.court_status, a.court_name, a.court_applied_at = CourtStatus.APPLIED, court, timezone.now()
        a.save(update_fields=["court_status", "court_name", "court_applied_at"])
        events.record(
            c,
            "mediation.court_apply",
            user=user,
            role=g.role,
            unit=g.unit,
            via=via,
            public=True,
            data={"agreement_id": a.pk, "court": court, "pdf_sha256": a.pdf_sha256},
        )
    return a


def court_ruling(
    actor: Any, agreement: Agreement | int, result: str, *, reason: str = "", court_ref: str = "", via: str = "web"
) -> Agreement:
    """The court's decision on an application: ``confirmed``, or ``rejected`` with a reason. ``actor``
    is a staff user, or None when the court's system reports it through the signed inbound API."""
    pk = agreement.pk if isinstance(agreement, Agreement) else agreement
    if result not in (CourtStatus.CONFIRMED, CourtStatus.REJECTED):
        raise ActionInvalid(_("请选择裁定结果。"), {"result": [_("请选择“确认有效”或“不予确认”。")]})
    reason = str(reason or "").strip()
    if result == CourtStatus.REJECTED and not reason:
        raise ActionInvalid(_("请填写不予确认的理由。"), {"reason": [_("请填写法院不予确认的理由。")]})
    if len(reason) > 2000 or len(court_ref) > 80:
        raise ActionInvalid(_("内容过长。"), {"reason": [_("不能超过2000字。")]})
    with transaction.atomic():
        a = Agreement.objects.get(pk=pk)
        c = _lock(a.case_id)
        g = _staff_grant(actor, "court_ruling", c) if actor is not None else None
        a = Agreement.objects.select_for_update().get(pk=pk)
        if a.court_status != CourtStatus.APPLIED:
            raise InvalidTransition(_("该协议没有待裁定的司法确认申请。"))
        a.court_status, a.court_reason, a.court_ruled_at = result, reason, timezone.now()
        a.court_ref = court_ref.strip() or a.court_ref
        a.save(update_fields=["court_status", "court_reason", "court_ruled_at", "court_ref"])
        event = events.record(
            c,
            "mediation.court_ruling",
            user=actor,
            role=g.role if g else "system",
            unit=g.unit if g else None,
            via=via,
            public=True,
            reason=reason,
            actor_name="" if actor else "system:court",
            data={"agreement_id": a.pk, "result": result, "court_ref": a.court_ref},
        )
        notices.court_result(c, a)
        notices.inbox(c, event, "court_ruling")
    return a


def parties_of(agreement: Agreement) -> list[Party]:
    return [s.party for s in agreement.signatures.select_related("party")]
