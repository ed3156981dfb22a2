"""The court's decision on a judicial confirmation, coming back through the signed inbound API
(the same key, HMAC signature, timestamp window and one-time nonce as /api/v1/inbound/…).

``POST /api/v1/inbound/judicial-confirmations`` by a system of kind ``court``::

    {"case_code": "MR59-DQ9N-Y6EN", "agreement_sha256": "<the sealed PDF's SHA-256>",
     "result": "confirmed" | "rejected", "reason": "…", "court_ref": "(2026)浙1024民特12号"}

The agreement is found by the case and the PDF hash the court received; the ruling is recorded by
:func:`fengqiao.mediation.actions.court_ruling` (timeline, inbox, SMS to the parties). It lives with
the other inbound endpoints: the channels stand above mediation, whose work it calls."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fengqiao.cases import codes
from fengqiao.cases.actions import ActionError
from fengqiao.channels.api import Refused, read_inbound, refusal, use_nonce
from fengqiao.channels.models import SystemKind
from fengqiao.mediation import actions
from fengqiao.mediation.models import Agreement


@csrf_exempt
@require_POST
def court_ruling(request: HttpRequest) -> HttpResponse:
    got = read_inbound(request)
    if isinstance(got, HttpResponse):
        return got
    system, payload = got
    if system.kind != SystemKind.COURT:
        return JsonResponse(
            {"error": "forbidden", "message": gettext("只有法院系统可以报送司法确认结果。")}, status=403
        )
    if not isinstance(payload, dict):
        return JsonResponse({"error": "invalid", "message": gettext("请求体须为 JSON 对象。")}, status=400)
    code = codes.normalise(str(payload.get("case_code") or ""))
    digest = str(payload.get("agreement_sha256") or "").strip().lower()
    agreement = Agreement.objects.filter(case__code=code, pdf_sha256=digest).exclude(pdf_sha256="").first()
    if agreement is None:
        return JsonResponse(
            {"error": "not_found", "message": gettext("没有与该案件编号和协议哈希对应的调解协议。")}, status=404
        )
    try:
        with transaction.atomic():
            use_nonce(system, request)
            a = actions.court_ruling(
                None,
                agreement,
                str(payload.get("result") or ""),
                reason=str(payload.get("reason") or ""),
                court_ref=str(payload.get("court_ref") or "")[:80],
                via="inbound",
            )
    except Refused as exc:
        return refusal(exc.code)
    except ActionError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message, "errors": exc.errors}, status=exc.status)
    return JsonResponse(
        {
            "case_code": a.case.display_code,
            "agreement_version": a.version,
            "court_status": a.court_status,
            "court_status_label": str(a.get_court_status_display()),
            "message": gettext("已记录法院裁定。"),
        },
        json_dumps_params={"ensure_ascii": False},
    )
