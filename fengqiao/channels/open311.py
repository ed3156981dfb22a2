"""Open311 GeoReport v2 server (/open311/v2/), mapped onto cases through the action layer.

* services.{json,xml}: the level-2 dispute types (service_code = the taxonomy code);
* services/{code}.{json,xml}: the definition (no extra attributes);
* POST requests.{json,xml}: a new case (api_key = an ExternalSystem allowed for Open311);
* GET requests.{json,xml}: requests that came in through Open311 (default: the last 90 days, at most
  1000), filtered by service_request_id, service_code, start_date, end_date, status;
* GET requests/{id}.{json,xml}, GET tokens/{token}.{json,xml}.

Privacy: a request's title is its service name, so lists never show the citizen's own text, names or phones.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from xml.etree import ElementTree as ET

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from fengqiao.cases import codes
from fengqiao.cases.actions import ActionError, Actor, register_case
from fengqiao.cases.events import public_wording
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.channels.models import ExternalSystem, InboundRecord
from fengqiao.core import formerrors

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error"}


def _xml(root: str, data: Any) -> bytes:
    def add(parent: ET.Element, tag: str, value: Any) -> None:
        el = ET.SubElement(parent, tag)
        if isinstance(value, dict):
            for k, v in value.items():
                add(el, k, v)
        elif isinstance(value, list):
            child = "attribute" if tag == "attributes" else ("value" if tag == "values" else "item")
            for v in value:
                add(el, child, v)
        elif value is None:
            pass
        elif isinstance(value, bool):
            el.text = "true" if value else "false"
        else:
            el.text = str(value)

    top = ET.Element(root)
    if isinstance(data, list):
        for item in data:
            add(top, ITEM_TAGS.get(root, "item"), item)
    else:
        for k, v in data.items():
            add(top, k, v)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def respond(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(_xml(root, data), status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": description}], status)


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _services() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent").order_by("code")


def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    data = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": f"{c.parent.name}/{c.name}" if c.parent else c.name,
            "metadata": False,
            "type": "realtime",
            "keywords": c.parent.name if c.parent else "",
            "group": c.parent.name if c.parent else "",
        }
        for c in _services()
    ]
    return respond(fmt, "services", data)


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not _services().filter(code=code).exists():
        return error(fmt, 404, gettext("没有该服务代码。"))
    return respond(fmt, "service_definition", {"service_code": code, "attributes": []})


def _request_row(case: Case, last: dict[int, CaseEvent]) -> dict[str, Any]:
    event = last.get(case.pk)
    return {
        "service_request_id": case.code,
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": public_wording(event.code) if event else "",
        "service_name": case.category.name if case.category_id and case.category else "",
        "service_code": case.category.code if case.category_id and case.category else "",
        "description": case.title,
        "agency_responsible": case.owner_unit.name if case.owner_unit_id else "",
        "service_notice": "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(event.at if event else case.created_at),
        "expected_datetime": _iso(case.due_at),
        "address": case.address_text,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": "",
    }


def _rows(cases: list[Case]) -> list[dict[str, Any]]:
    last: dict[int, CaseEvent] = {}
    for e in CaseEvent.objects.filter(case__in=[c.pk for c in cases], public=True).order_by("at", "pk"):
        last[e.case_id] = e
    return [_request_row(c, last) for c in cases]


def _open311_cases() -> QuerySet[Case]:
    return Case.objects.filter(channel="open311").select_related("category", "owner_unit")


MAX_OFFSET = dt.timedelta(hours=14)  # the widest real UTC offsets are -12:00 and +14:00


def _date(value: str) -> dt.datetime | None:
    """An ISO 8601 (w3c) time with a real offset, between 2000 and a year from now; None otherwise
    (``+99:00`` made Python's timezone raise; ``9999-12-31`` overflows once shifted)."""
    from fengqiao.cases.filtersets import date_bounds

    try:
        parsed = parse_datetime(value)
    except (ValueError, OverflowError):
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    offset = parsed.utcoffset()
    if offset is None or abs(offset) > MAX_OFFSET:
        return None
    low, high = date_bounds()
    if not (low <= parsed.date() <= high):
        return None
    return parsed


def request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    qs = _open311_cases()
    q = request.GET
    ids = [codes.normalise(x) for x in q.get("service_request_id", "").split(",") if x.strip()]
    if ids:
        qs = qs.filter(code__in=ids)
    else:
        start = _date(q["start_date"]) if q.get("start_date") else timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        end = _date(q["end_date"]) if q.get("end_date") else None
        if start is None or (q.get("end_date") and end is None):
            return error(
                fmt, 400, gettext("日期须为 ISO 8601 格式（w3c），时区偏移不超过 ±14:00，且在 2000 年至明年之间。")
            )
        qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
        if q.get("service_code"):
            qs = qs.filter(category__code__in=q["service_code"].split(","))
        status = q.get("status", "")
        if status == "open":
            qs = qs.filter(state__in=list(OPEN_STATES))
        elif status == "closed":
            qs = qs.exclude(state__in=list(OPEN_STATES))
        elif status:
            return error(fmt, 400, gettext("status 只能是 open 或 closed。"))
    return respond(fmt, "service_requests", _rows(list(qs.order_by("-created_at")[:MAX_RESULTS])))


def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    case = _open311_cases().filter(code=codes.normalise(request_id)).first()
    if case is None:
        return error(fmt, 404, gettext("没有该诉求编号。"))
    return respond(fmt, "service_requests", _rows([case]))


def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    rec = (
        InboundRecord.objects.filter(external_ref=token, case__channel="open311")
        .select_related("case")
        .only("case__code")
        .first()
    )
    if rec is None:
        return error(fmt, 404, gettext("没有该令牌。"))
    return respond(fmt, "service_requests", [{"service_request_id": rec.case.code, "token": token}])


def create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    p = request.POST
    system = ExternalSystem.objects.filter(key_id=p.get("api_key", ""), open311=True, is_active=True).first()
    if system is None:
        return error(fmt, 403, gettext("api_key 无效。"))
    code = p.get("service_code", "")
    category = _services().filter(code=code).first()
    if category is None:
        return error(fmt, 400, gettext("service_code 无效。"))
    has_point = p.get("lat") not in (None, "") and p.get("long") not in (None, "")
    if not (has_point or p.get("address_string") or p.get("address_id")):
        return error(fmt, 400, gettext("须提供位置：lat 与 long，或 address_string，或 address_id。"))
    description = p.get("description", "").strip()
    name = (p.get("last_name", "") + p.get("first_name", "")).strip()
    token = secrets.token_hex(8)
    data: dict[str, Any] = {
        "title": category.name,  # the public listing shows the title: never the citizen's own words
        "description": description or category.name,
        "category": category.code,
        "channel": "open311",
        "source_system": system.code,
        "external_ref": f"o311-{token}",
        "address_text": p.get("address_string", "")[:200],
        "parties": [{"role": "applicant", "name": name, "phone": p.get("phone", "")}]
        if (name or p.get("phone"))
        else [],
        "anonymous": not (name or p.get("phone")),
    }
    if has_point:
        data["lat"], data["lon"] = p.get("lat"), p.get("long")
    try:
        with transaction.atomic():
            case, _ = register_case(Actor.system(system.code), data, via="open311")
            InboundRecord.objects.create(
                system=system, case=case, external_ref=token, original_category=code, mapped=True
            )
    except ActionError as exc:
        detail = "; ".join(f"{'.'.join(map(str, path))}: {msg}" for path, msg in formerrors.walk(exc.errors))
        return error(fmt, exc.status, f"{exc.message} {detail}".strip())
    row = {"service_request_id": case.code, "token": token, "service_notice": "", "account_id": None}
    return respond(fmt, "service_requests", [row], 201)


@csrf_exempt
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return create_request(request, fmt)
    if request.method == "GET":
        return request_list(request, fmt)
    return error(fmt, 405, gettext("不支持的方法。"))
