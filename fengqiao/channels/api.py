"""Inbound system API (/api/v1/inbound/…): signed requests from external systems.

Every request carries the system's key and an HMAC-SHA256 signature (see :mod:`signing`). A wrong
signature, a timestamp outside ±5 minutes, a replayed nonce or an unknown/inactive key is refused
with 401 and nothing is written; the nonce row is written in the same transaction as the case, so
a refused or invalid request leaves no trace either.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from fengqiao.cases.actions import ActionError
from fengqiao.cases.events import public_wording
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.channels import inbound, signing, stats
from fengqiao.channels.models import ExternalSystem, InboundNonce
from fengqiao.core import inputcheck

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024

REFUSALS = {  # marked for the catalogue, translated when the answer is written
    "missing_key": gettext_noop("缺少 API Key。"),
    "unknown_key": gettext_noop("API Key 无效或已停用。"),
    "bad_timestamp": gettext_noop("时间戳无效。"),
    "stale_timestamp": gettext_noop("时间戳超出允许范围（±5 分钟）。"),
    "bad_nonce": gettext_noop("随机串无效。"),
    "bad_signature": gettext_noop("签名校验失败。"),
    "replay": gettext_noop("重复的请求（随机串已使用）。"),
}


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def refusal(code: str, status: int = 401) -> JsonResponse:
    return JsonResponse({"error": code, "message": gettext(REFUSALS.get(code, code))}, status=status)


def authenticate(request: HttpRequest) -> ExternalSystem:
    """The system that signed this request (raises Refused). Writes nothing."""
    key = request.headers.get(signing.HEADER_KEY, "")
    if not key:
        raise Refused("missing_key")
    system = ExternalSystem.objects.filter(key_id=key, is_active=True).first()
    if system is None:
        raise Refused("unknown_key")
    reason = signing.check(
        str(system.secret),
        request.method or "GET",
        request.get_full_path(),
        request.headers.get(signing.HEADER_TS, ""),
        request.headers.get(signing.HEADER_NONCE, ""),
        request.body,
        request.headers.get(signing.HEADER_SIG, ""),
    )
    if reason:
        raise Refused(reason)
    return system


def purge_nonces() -> int:
    """Forget nonces older than twice the timestamp window (a request that old is refused anyway)."""
    cutoff = timezone.now() - dt.timedelta(seconds=2 * signing.WINDOW_SECONDS)
    return InboundNonce.objects.filter(at__lt=cutoff).delete()[0]


def use_nonce(system: ExternalSystem, request: HttpRequest) -> None:
    """Record the nonce inside the caller's transaction; a replay raises Refused. About one request in
    a thousand also purges the expired nonces (no scheduler needed)."""
    if secrets.randbelow(1000) == 0:
        transaction.on_commit(purge_nonces)
    # One statement (no savepoint): the unique constraint decides, in any process; a concurrent
    # insert of the same nonce waits for the other transaction and then inserts nothing.
    table = connection.ops.quote_name(InboundNonce._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (system_id, nonce, at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",  # noqa: S608 - our table name
            [system.pk, request.headers.get(signing.HEADER_NONCE, ""), timezone.now()],
        )
        if cur.rowcount != 1:
            raise Refused("replay")


def case_status(case: Case) -> dict[str, Any]:
    events = [
        {"event": e.code, "text": public_wording(e.code), "at": e.at.isoformat(), "version": e.version}
        for e in CaseEvent.objects.filter(case=case, public=True).order_by("at", "pk").only("code", "at", "version")
    ]
    return {
        "case_code": case.display_code,
        "external_ref": case.external_ref,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "version": case.version,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "events": events,
    }


def read_inbound(request: HttpRequest) -> tuple[Any, Any] | HttpResponse:
    """What every inbound door does first: the size limit, the calling system's signature, the JSON body.
    Returns ``(system, payload)``, or the refusal to answer with."""
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "too_large", "message": gettext("请求体过大。")}, status=413)
    try:
        system = authenticate(request)
    except Refused as exc:
        return refusal(exc.code)
    try:
        payload = inputcheck.loads(request.body)
    except inputcheck.JSONInputError as exc:
        return JsonResponse(
            {"error": "invalid", "message": gettext("请求体不是有效的 JSON：%(why)s") % {"why": exc}}, status=400
        )
    return system, payload


@csrf_exempt
@require_POST
def create_case(request: HttpRequest) -> HttpResponse:
    got = read_inbound(request)
    if isinstance(got, HttpResponse):
        return got
    system, payload = got
    try:
        with transaction.atomic():
            use_nonce(system, request)
            case, created = inbound.receive(system, payload)
    except Refused as exc:
        return refusal(exc.code)
    except ActionError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message, "errors": exc.errors}, status=exc.status)
    body = {
        "created": created,
        "duplicate": not created,
        "message": gettext("已登记。") if created else gettext("该工单已登记过，返回原案件。"),
        **case_status(case),
    }
    return JsonResponse(body, status=201 if created else 200, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_GET
def case_detail(request: HttpRequest, ref: str) -> HttpResponse:
    try:
        system = authenticate(request)
        use_nonce(system, request)  # one autocommitted statement
    except Refused as exc:
        return refusal(exc.code)
    case = Case.objects.filter(source_system=system.code, external_ref=ref).first()
    if case is None:
        return JsonResponse({"error": "not_found", "message": gettext("没有该编号的工单。")}, status=404)
    return JsonResponse(case_status(case), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_GET
def system_stats(request: HttpRequest) -> HttpResponse:
    try:
        system = authenticate(request)
        use_nonce(system, request)  # one autocommitted statement
    except Refused as exc:
        return refusal(exc.code)
    return JsonResponse(stats.for_system(system), json_dumps_params={"ensure_ascii": False})
