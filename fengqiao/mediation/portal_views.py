"""The party's page of an agreement, reached by the private link in their SMS: the exact text, then
a code sent to the phone on record (the portal's SMS-code machinery and its limits), then confirm or
refuse. The court's ruling is shown here too. The phone number never appears: only its mask."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fengqiao.cases.actions import ActionError
from fengqiao.cases.choices import PartyRole
from fengqiao.core.middleware import client_ip
from fengqiao.mediation import actions
from fengqiao.mediation.models import AgreementStatus, Decision, Signature
from fengqiao.portal import verify
from fengqiao.portal.views import _private, over_limit

SIGN_POSTS_PER_IP_HOUR = 30


def _signature(token: str) -> Signature:
    if len(token) < 20:
        raise Http404
    s = Signature.objects.select_related("agreement", "agreement__case", "party").filter(token=token).first()
    if s is None:
        raise Http404
    return s


def _context(s: Signature, **extra: Any) -> dict[str, Any]:
    a = s.agreement
    others = [
        {"role": PartyRole(o.party.role).label, "name": o.party.masked_name, "decision": o.get_decision_display()}
        for o in a.signatures.select_related("party").exclude(pk=s.pk)
    ]
    return {
        "s": s,
        "a": a,
        "case": a.case,
        "role": PartyRole(s.party.role).label,
        "masked_phone": s.party.masked_phone,
        "has_phone": bool(s.party.phone_hash),
        "paragraphs": a.text.split("\n"),
        "others": others,
        "open": a.status == AgreementStatus.SIGNING and s.decision == Decision.PENDING,
        "errors": extra.pop("errors", {}),
        "message": extra.pop("message", ""),
        **extra,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, token: str) -> HttpResponse:
    s = _signature(token)
    if request.method == "GET":
        return _private(render(request, "mediation/portal_sign.html", _context(s)))
    if over_limit(request, "sign", SIGN_POSTS_PER_IP_HOUR):
        return _private(
            render(
                request,
                "mediation/portal_sign.html",
                _context(s, message="操作太频繁，请一小时后再试。"),
                status=429,
            )
        )
    action = request.POST.get("action", "")
    phone = str(s.party.phone or "")
    if not phone:
        return _private(
            render(
                request,
                "mediation/portal_sign.html",
                _context(s, message="登记的手机号缺失，请联系调解员线下签字。"),
                status=400,
            )
        )
    if action == "send_code":
        try:
            verify.issue(phone, client_ip(request))
        except verify.VerifyError as exc:
            return _private(
                render(
                    request, "mediation/portal_sign.html", _context(s, errors={"sms_code": [exc.message]}), status=400
                )
            )
        messages.success(request, f"验证码已发送到 {s.party.masked_phone}，5分钟内有效。")
        return redirect("mediation_portal:sign", token=token)
    decision = {"confirm": Decision.CONFIRMED, "refuse": Decision.REFUSED}.get(action, "")
    reason = request.POST.get("reason", "")
    code = request.POST.get("sms_code", "").strip()
    errors: dict[str, list[str]] = {}
    if not decision:
        errors["decision"] = ["请选择“确认”或“拒绝”。"]
    if decision == Decision.REFUSED and not reason.strip():
        errors["reason"] = ["请写明拒绝的理由，调解员会与您联系。"]
    if not code:
        errors["sms_code"] = ["请填写短信验证码（先点“获取验证码”）。"]
    if errors:
        return _private(
            render(request, "mediation/portal_sign.html", _context(s, errors=errors, reason=reason), status=400)
        )
    try:
        ph = verify.check(phone, code)
    except verify.VerifyError as exc:
        return _private(
            render(
                request,
                "mediation/portal_sign.html",
                _context(s, errors={"sms_code": [exc.message]}, reason=reason),
                status=400,
            )
        )
    try:
        actions.decide(token, decision, reason, phone_hash=ph)
    except ActionError as exc:
        s.refresh_from_db()
        return _private(
            render(
                request, "mediation/portal_sign.html", _context(s, errors=exc.errors, message=exc.message), status=400
            )
        )
    messages.success(
        request,
        "您已确认调解协议，谢谢。" if decision == Decision.CONFIRMED else "已记录您拒绝该协议，调解员会与您联系。",
    )
    return redirect("mediation_portal:sign", token=token)
