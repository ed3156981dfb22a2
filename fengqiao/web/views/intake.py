"""Staff intake (受理登记) for walk-in and phone cases, the lookups it uses (address, party phone,
units), and the duplicate warning."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from fengqiao.cases.actions import ActionError, Actor, register_case
from fengqiao.cases.choices import Channel, PartyKind, Priority, Risk
from fengqiao.cases.doors import case_queryset, staff_required, staff_user
from fengqiao.cases.models import Case, Domain, Party
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.core import audit, crypto, formerrors, inputcheck, limits
from fengqiao.core.validators import validate_phone
from fengqiao.org import access
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import StandardAddress, Unit
from fengqiao.org.paths import subtree_q
from fengqiao.web.views.workbench import _categories

REGISTER_ROLES = access.INTAKE
INTAKE_CHANNELS = [
    Channel.WALK_IN,
    Channel.PHONE,
    Channel.GRID,
    Channel.HOTLINE,
    Channel.PETITION,
    Channel.POLICE,
    Channel.COURT,
]
PARTY_FIELDS = ("name", "phone", "id_number", "address")
# The intake form's parties: a second applicant and a second respondent fold out (report 000's
# 群体性 matters have several); more are added on the case page (登记/更正当事人).
PARTY_PREFIXES = (
    ("applicant", "applicant"),
    ("applicant2", "applicant"),
    ("respondent", "respondent"),
    ("respondent2", "respondent"),
)
DONE_KEY = "web_intake_done"
# The fields the intake form shows errors under; an error on any other goes on top of the form.
SHOWN_FIELDS = {
    *(f"{prefix}_{f}" for prefix, _role in PARTY_PREFIXES for f in PARTY_FIELDS),
    "title",
    "description",
    "category",
    "channel",
    "people_count",
    "address_text",
    "location_unit",
    "owner_unit",
}


def _party(post: QueryDict, prefix: str, role: str) -> dict[str, Any] | None:
    values = {f: post.get(f"{prefix}_{f}", "").strip() for f in PARTY_FIELDS}
    if not any(values.values()):
        return None
    party: dict[str, Any] = {"role": role, **values}
    party["kind"] = post.get(f"{prefix}_kind", PartyKind.PERSON) or PartyKind.PERSON
    party["vulnerable"] = post.get(f"{prefix}_vulnerable", "") == "on"
    return party


def build_register_data(post: QueryDict) -> tuple[dict[str, Any], list[str]]:
    """The intake form as RegisterInput data; also which form prefix each party came from."""
    parties: list[dict[str, Any]] = []
    prefixes: list[str] = []
    for prefix, role in PARTY_PREFIXES:
        party = _party(post, prefix, role)
        if party is not None:
            parties.append(party)
            prefixes.append(prefix)
    data: dict[str, Any] = {
        "title": post.get("title", "").strip(),
        "description": post.get("description", "").strip(),
        "channel": post.get("channel", ""),
        "anonymous": post.get("anonymous", "") == "on",
        "address_text": post.get("address_text", "").strip(),
        "priority": post.get("priority", "") or Priority.NORMAL,
        "risk": post.get("risk", "") or Risk.LOW,
        "people_count": post.get("people_count", "") or 1,
        "parties": parties,
    }
    for key in ("category", "domain", "standard_address", "location_unit", "owner_unit"):
        value = str(post.get(key, "")).strip()
        if value:
            data[key] = value
    return data, prefixes


def map_errors(errors: Any, prefixes: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``ActionError.errors`` as messages under the intake form's own fields: a party's error
    (``{"parties": {0: {"phone": [...]}}}``) goes under that party's field (``applicant_phone``)."""
    per_field: dict[str, list[str]] = {}
    general: list[str] = []
    for path, msg in formerrors.walk(errors):
        head = str(path[0]) if path else ""
        if not path or head in formerrors.GENERAL_KEYS:
            target = general
        elif head == "parties":
            index = path[1] if len(path) > 1 and isinstance(path[1], int) else None
            fname = next((str(p) for p in path[1:] if isinstance(p, str)), "")
            if index is None or fname not in PARTY_FIELDS:
                # a whole-list error ("请填写申请人") or a field the form does not show
                prefix = prefixes[index] if index is not None and index < len(prefixes) else "applicant"
                target = per_field.setdefault(f"{prefix}_name", [])
            else:
                prefix = prefixes[index] if index < len(prefixes) else "applicant"
                target = per_field.setdefault(f"{prefix}_{fname}", [])
        elif head in ("standard_address", "location_unit"):
            target = per_field.setdefault("location_unit", [])
        else:
            target = per_field.setdefault(head, [])
        if msg not in target:
            target.append(msg)
    return per_field, general


def _cases_of_phone(user: Any, phone: str) -> QuerySet[Case]:
    ids = Party.objects.filter(phone_hash=crypto.search_hash(phone)).values("case_id")
    return case_queryset(user).filter(pk__in=ids).order_by("-created_at")


def _valid_phone(phone: str) -> bool:
    try:
        validate_phone(phone)
    except ValidationError:
        return False
    return True


def location_choices(user: Any) -> list[tuple[Unit, list[Unit]]]:
    """Towns with their villages (and grids, for users working below town level) in the user's scope."""
    from fengqiao.cases.policy import scope_paths

    paths = scope_paths(user)
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("path", p)
    kinds = [UnitKind.TOWN, UnitKind.VILLAGE]
    if paths and all(p.count("/") > 3 for p in paths):
        kinds.append(UnitKind.GRID)
    units = list(Unit.objects.filter(q, kind__in=kinds, is_active=True).order_by("path")[:1500])
    groups: list[tuple[Unit, list[Unit]]] = []
    for u in units:
        if u.kind == UnitKind.TOWN or not groups:
            groups.append((u, [] if u.kind == UnitKind.TOWN else [u]))
        else:
            groups[-1][1].append(u)
    return groups


def _render(
    request: HttpRequest,
    values: QueryDict | dict[str, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    page_errors: list[str] | None = None,
    duplicates: list[Case] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    if isinstance(values, QueryDict) and len(values.get("description", "")) > limits.ECHO_MAX:
        values = values.copy()
        values["description"] = limits.echo(str(values["description"]))
    owner_units = sorted({g.unit for g in user.role_grants() if g.role in REGISTER_ROLES}, key=lambda u: u.path)
    return render(
        request,
        "web/intake/intake.html",
        {
            "v": values,
            "errors": errors or {},
            "page_errors": page_errors or [],
            "duplicates": duplicates or [],
            "categories": _categories(),
            "domains": Domain.objects.filter(is_active=True),
            "channels": [(c.value, c.label) for c in INTAKE_CHANNELS],
            "priorities": Priority.choices,
            "risks": Risk.choices,
            "party_kinds": PartyKind.choices,
            "owner_units": owner_units,
            "locations": location_choices(user),
        },
        status=status,
    )


@staff_required
def intake(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not user.has_role(*REGISTER_ROLES):
        return render(request, "web/forbidden.html", {"message": gettext("您没有登记案件的权限。")}, status=403)
    if request.method != "POST":
        initial: dict[str, Any] = {
            "channel": Channel.WALK_IN,
            "priority": str(Priority.NORMAL),
            "risk": Risk.LOW,
            "people_count": 1,
            "token": secrets.token_urlsafe(16),
        }
        units = [g.unit for g in user.role_grants() if g.role in REGISTER_ROLES]
        if units and all(u.tier == 1 for u in units):
            # Grid and village staff register into their own unit (the town centre is outside their scope).
            initial["owner_unit"] = str(units[0].pk)
            initial["channel"] = Channel.GRID if user.has_role(Role.GRID_WORKER) else Channel.WALK_IN
        return _render(request, initial)
    post = request.POST
    token = post.get("token", "")[:64]
    done: dict[str, str] = request.session.get(DONE_KEY, {})
    if token and token in done:  # the same form sent twice (double click, retry): no second case
        return redirect("web:receipt", code=done[token])
    data, prefixes = build_register_data(post)
    phone = post.get("applicant_phone", "").strip()
    if phone and _valid_phone(phone) and post.get("confirm_duplicate", "") != "on":
        duplicates = [c for c in _cases_of_phone(user, phone)[:20] if c.is_open]
        if duplicates:
            return _render(request, post, duplicates=duplicates)
    try:
        case, _created = register_case(Actor.staff(user), data, via="web")
    except ActionError as exc:
        per_field, general = map_errors(exc.errors, prefixes)
        for key in [k for k in per_field if k not in SHOWN_FIELDS]:  # a field without its own place on the form
            general.extend(per_field.pop(key))
        return _render(request, post, errors=per_field, page_errors=[exc.message, *general], status=exc.status)
    if token:
        done[token] = case.display_code
        request.session[DONE_KEY] = dict(list(done.items())[-20:])
    messages.success(request, gettext("已登记，案件编码 %(code)s。") % {"code": case.display_code})
    return redirect("web:receipt", code=case.display_code)


@staff_required
@require_POST
def phone_lookup(request: HttpRequest) -> JsonResponse:
    """POST {"phone": …} → that phone's recent cases in the user's scope. The phone is never echoed
    back and never appears in a URL; the lookup itself is audited (without the number)."""
    try:
        body = inputcheck.loads(request.body or b"{}") if request.content_type == "application/json" else request.POST
        phone = str(body.get("phone", "")).strip()
    except inputcheck.JSONInputError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except (ValueError, AttributeError):
        return JsonResponse({"error": gettext("请求格式有误。")}, status=400)
    if not _valid_phone(phone):
        return JsonResponse({"error": gettext("请输入有效的手机号码（11位）或固定电话（区号-号码）。")}, status=400)
    user = staff_user(request)
    cases = list(_cases_of_phone(user, phone)[:10])
    audit.record("pii.lookup", user=user, object_type="cases.party", detail={"matches": len(cases)})
    open_states = {str(s) for s in OPEN_STATES}
    return JsonResponse(
        {
            "count": len(cases),
            "open_count": sum(1 for c in cases if c.state in open_states),
            "cases": [
                {
                    "code": c.code,
                    "display_code": c.display_code,
                    "title": c.title,
                    "state": c.state,
                    "state_label": str(c.get_state_display()),
                    "open": c.state in open_states,
                    "created_at": c.created_at.isoformat(),
                    "url": reverse("web:case", args=[c.display_code]),
                }
                for c in cases
            ],
        }
    )


@staff_required
@require_GET
def address_lookup(request: HttpRequest) -> JsonResponse:
    """Standard addresses and units matching ``q`` (address text is not personal data): up to 10."""
    q = request.GET.get("q", "").strip()[:50]
    if not q:
        return JsonResponse({"results": []})
    results: list[dict[str, Any]] = []
    for a in StandardAddress.objects.filter(full_text__icontains=q).select_related("grid").order_by("full_text")[:10]:
        results.append(
            {
                "type": "address",
                "id": a.pk,
                "label": a.full_text,
                "unit": a.grid_id,
                "unit_label": a.grid.name,
            }
        )
    if len(results) < 10:
        kinds = dict(UnitKind.choices)
        units = Unit.objects.filter(
            name__icontains=q,
            is_active=True,
            kind__in=[UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID, UnitKind.MICROGRID],
        ).order_by("path")[: 10 - len(results)]
        for u in units:
            results.append(
                {
                    "type": "unit",
                    "id": u.pk,
                    "label": f"{u.name}（{kinds.get(u.kind, u.kind)}）",
                    "unit": u.pk,
                    "unit_label": u.name,
                }
            )
    return JsonResponse({"results": results})


@staff_required
@require_GET
def unit_lookup(request: HttpRequest) -> JsonResponse:
    """The active child units of ``parent`` (for the town → village → grid pickers)."""
    parent = request.GET.get("parent", "")
    if not parent.isdigit():
        return JsonResponse({"results": []})
    kinds = dict(UnitKind.choices)
    units = Unit.objects.filter(parent_id=int(parent), is_active=True).order_by("code")[:500]
    return JsonResponse(
        {"results": [{"id": u.pk, "name": u.name, "kind": u.kind, "kind_label": str(kinds[u.kind])} for u in units]}
    )
