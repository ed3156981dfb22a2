"""Staff pages: hotline operator screen, ledger import/export, per-system statistics, agreement .docx."""

from __future__ import annotations

import re
import secrets
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fengqiao.cases.actions import ActionError, Actor, register_case
from fengqiao.cases.doors import case_queryset, get_case_or_404, staff_required, staff_user
from fengqiao.cases.filtersets import CaseFilterSet
from fengqiao.cases.models import Case, Party
from fengqiao.channels import ledger, prelit, stats
from fengqiao.core import audit, crypto, formerrors
from fengqiao.org import access
from fengqiao.web.views.workbench import _categories

PHONE_KEY = "channels_hotline_phone"
UPLOAD_KEY = "channels_ledger_upload"
UPLOAD_DIR = Path(tempfile.gettempdir()) / "fengqiao-ledger"
PHONE_RE = re.compile(r"^\+?\d[\d\- ]{4,19}$")


def _require(request: HttpRequest, roles: Collection[Any]) -> Any:
    user = staff_user(request)
    if not any(g.role in roles for g in user.role_grants()):
        raise PermissionDenied(gettext("您没有使用该页面的权限。"))
    return user


# ---------------------------------------------------------------------------------------------
# hotline


@staff_required
def hotline(request: HttpRequest) -> HttpResponse:
    """Operator screen. A telephony system opens ``/staff/hotline/?phone=…``: the number goes into the
    session and the page replaces its URL without it (history.replaceState)."""
    user = _require(request, access.HOTLINE)
    if "phone" in request.GET:
        raw = request.GET.get("phone", "").strip()
        if PHONE_RE.match(raw):
            request.session[PHONE_KEY] = crypto.normalise_phone(raw)
        else:
            request.session.pop(PHONE_KEY, None)
    phone: str = request.session.get(PHONE_KEY, "")
    errors: list[str] = []
    form = {"description": "", "title": "", "category": "", "name": "", "address": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        post_phone = crypto.normalise_phone(request.POST.get("phone", "")) or phone
        description = form["description"]
        data: dict[str, Any] = {
            "title": (form["title"] or description[:30])[:100],
            "description": description,
            "channel": "phone",
            "address_text": form["address"],
            "parties": [{"role": "applicant", "name": form["name"], "phone": post_phone}] if post_phone else [],
            "anonymous": not post_phone,
        }
        if form["category"]:
            data["category"] = form["category"]
        try:
            case, _ = register_case(Actor.staff(user), data, via="hotline-screen")
        except ActionError as exc:
            errors = [exc.message, *_hotline_errors(exc.errors)]
        else:
            request.session.pop(PHONE_KEY, None)
            messages.success(request, gettext("已登记：%(code)s") % {"code": case.display_code})
            return redirect(reverse("channels:hotline"))
    recent: list[Case] = []
    if phone:
        ids = Party.objects.filter(phone_hash=crypto.search_hash(phone)).values_list("case_id", flat=True)
        recent = list(case_queryset(user).filter(pk__in=ids).order_by("-created_at")[:10])
    return render(
        request,
        "channels/hotline.html",
        {
            "phone_masked": crypto.mask_phone(phone) if phone else "",
            "has_phone": bool(phone),
            "recent": recent,
            "form": form,
            "errors": errors,
            "categories": _categories(),
            "clean_url": reverse("channels:hotline"),
        },
        status=400 if errors else 200,
    )


# ---------------------------------------------------------------------------------------------
# ledgers


# The hotline form's words for the action input's fields, so an error reads "来电号码：…", never "parties: …".
_HOTLINE_LABELS = {
    "parties": gettext_lazy("来电号码"),
    "title": gettext_lazy("标题"),
    "description": gettext_lazy("诉求内容"),
    "category": gettext_lazy("纠纷类型"),
    "address_text": gettext_lazy("地址"),
}


def _hotline_errors(errors: Any) -> list[str]:
    out: list[str] = []
    for path, msg in formerrors.walk(errors):
        head = str(path[0]) if path else ""
        label = _HOTLINE_LABELS.get(head)
        text = f"{label}：{msg}" if label else msg
        if text not in out:
            out.append(text)
    return out


def _upload_path(token: str) -> Path:
    return UPLOAD_DIR / f"{token}.bin"


@staff_required
def ledger_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload. Step 2 (``?step=map``): map columns, preview, import."""
    user = _require(request, access.LEDGER_IMPORT)
    upload = request.session.get(UPLOAD_KEY)
    if request.method == "POST" and "file" in request.FILES:
        f = request.FILES.get("file")
        assert f is not None
        data = f.read()
        try:
            headers, rows = ledger.read_table(f.name or "", data)
        except ValueError as exc:
            return render(request, "channels/ledger_upload.html", {"error": str(exc)}, status=400)
        UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        _upload_path(token).write_bytes(data)
        request.session[UPLOAD_KEY] = {"token": token, "name": f.name, "rows": len(rows)}
        return redirect(reverse("channels:ledger_import") + "?step=map")
    if request.GET.get("step") != "map" or not upload or not _upload_path(upload["token"]).exists():
        return render(request, "channels/ledger_upload.html", {})
    headers, rows = ledger.read_table(upload["name"], _upload_path(upload["token"]).read_bytes())
    mapping = ledger.guess_mapping(headers)
    result = None
    problems: list[ledger.Problem] = []
    if request.method == "POST":
        mapping = {}
        for col in ledger.IMPORT_COLUMNS:
            value = request.POST.get(f"map_{col.key}", "")
            if value.isdigit() and int(value) < len(headers):
                mapping[col.key] = int(value)
        plan = ledger.plan_import(headers, rows, mapping, ledger.source_for(user))
        partial = request.POST.get("partial") == "on"
        result = ledger.run_import(user, plan, partial=partial)
        problems = result.problems
        if result.created or result.existing:
            audit.record(
                "channels.ledger_import",
                user=user,
                detail={"file": upload["name"], "created": result.created, "existing": result.existing},
            )
        if not problems:
            _upload_path(upload["token"]).unlink(missing_ok=True)
            request.session.pop(UPLOAD_KEY, None)
    return render(
        request,
        "channels/ledger_map.html",
        {
            "upload": upload,
            "headers": list(enumerate(headers)),
            "columns": [(c, mapping.get(c.key)) for c in ledger.IMPORT_COLUMNS],
            "preview": rows[:5],
            "result": result,
            "problems": problems[:500],
            "more_problems": max(0, len(problems) - 500),
        },
        status=400 if problems and result is not None and not (result.created or result.existing) else 200,
    )


@staff_required
def ledger_export(request: HttpRequest) -> HttpResponse:
    from fengqiao.web.views.workbench import group_filters, list_base

    user = staff_user(request)
    params = request.GET.copy()  # the workbench list's own parameters (its "export" link)
    _group, base = list_base(user, params, case_queryset(user), group_filters(user, timezone.now()))
    fs = CaseFilterSet(params, queryset=base)
    if not fs.is_valid():
        problems = "；".join(str(e) for errs in fs.errors.values() for e in errs)
        return HttpResponse(
            gettext("筛选条件有误：%(problems)s") % {"problems": problems},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    ids = list(fs.qs.values_list("pk", flat=True)[:20000])
    body = ledger.export_xlsx(Case.objects.filter(pk__in=ids).order_by("-created_at"))
    audit.record("channels.ledger_export", user=user, detail={"filters": request.GET.dict()})
    name = f"fengqiao-cases-{timezone.localdate():%Y%m%d}.xlsx"
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


# ---------------------------------------------------------------------------------------------
# systems and pre-litigation


@staff_required
def systems(request: HttpRequest) -> HttpResponse:
    _require(request, access.SYSTEMS)
    return render(request, "channels/systems.html", {"rows": stats.all_systems()})


@staff_required
def agreement(request: HttpRequest, code: str) -> HttpResponse:
    """The mediation agreement (.docx) of a court referral, filled from the case, for signature."""
    user = staff_user(request)
    case = get_case_or_404(user, code)
    if not hasattr(case, "prelitigation"):
        return HttpResponse(gettext("该案件不是法院委派的诉前调解案件。"), status=404)
    body = prelit.agreement_docx(case)
    audit.record("channels.agreement_docx", user=user, obj=case, detail={"case": case.code})
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    resp["Content-Disposition"] = f'attachment; filename="agreement-{case.code}.docx"'
    return resp
