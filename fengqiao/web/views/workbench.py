"""The workbench: "my tasks" groups with counts, the unit's case list (filters, search, sort,
id-first pagination) and bulk assignment."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fengqiao.cases import actions, policy
from fengqiao.cases.actions import ActionError, Actor
from fengqiao.cases.choices import Channel, Colour, Level
from fengqiao.cases.doors import case_queryset, staff_required, staff_user
from fengqiao.cases.filtersets import CaseFilterSet
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import RUNNING_STATES, State
from fengqiao.core import audit, crypto, formerrors
from fengqiao.core.validators import validate_phone
from fengqiao.mediation.models import TeamMember
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit
from fengqiao.org.paths import subtree_q
from fengqiao.supervision.models import Instruction
from fengqiao.web.views.common import LIST_ONLY_RELATED, LIST_RELATED, PAGE_SIZE, paginate_ids

GROUPS: list[tuple[str, Any, Any]] = [
    ("to_accept", _("待受理"), _("本单位待受理、待接收的案件")),
    ("todo", _("待办"), _("指派给我、已受理或办理中的案件")),
    ("mediating", _("调解中"), _("我承办或我所在调解团队的案件")),
    ("due_soon", _("即将超期"), _("48小时内到期的在办案件")),
    ("overdue", _("已超期"), _("已过办结时限的在办案件")),
    ("instructions", _("领导批示待回复"), _("有未回复领导批示的案件")),
]
GROUP_NAMES = {g[0] for g in GROUPS}

SORTS: list[tuple[str, Any]] = [
    ("-created_at", _("登记时间（新→旧）")),
    ("created_at", _("登记时间（旧→新）")),
    ("due_at", _("办结时限（近→远）")),
    ("-priority", _("优先级（高→低）")),
    ("-level", _("响应等级（高→低）")),
]

# A phone or ID number typed into the search box: refused, it would land in the URL (and in logs).
_PERSONAL = re.compile(r"^(\+?86)?(1[3-9]\d{9}|0\d{2,3}\d{7,8}|\d{17}[\dXx])$")


def group_filters(user: Any, now: dt.datetime) -> dict[str, Q]:
    """The "my tasks" groups as conditions on the cases the user may see (``policy.visible_q``)."""
    running = [str(s) for s in RUNNING_STATES]
    mine = Q(handler=user) | Q(pk__in=TeamMember.objects.filter(mediator__user=user).values("case_id"))
    unanswered = Instruction.objects.filter(answered_at__isnull=True).values("case_id")
    return {
        # Registered and owned by, or dispatched and pending to, a unit where the user may accept.
        "to_accept": Q(state__in=[State.REGISTERED, State.DISPATCHED]) & policy.anchor_q(user, "accept"),
        "todo": Q(handler=user, state__in=[State.ACCEPTED, State.IN_PROGRESS]),
        "mediating": mine & Q(state=State.MEDIATING),
        # a paused case's clock stands still: it is neither due soon nor overdue
        "due_soon": Q(state__in=running, due_at__gte=now, due_at__lt=now + dt.timedelta(hours=48)),
        "overdue": Q(state__in=running, due_at__lt=now),
        "instructions": Q(pk__in=unanswered),
    }


def group_counts(visible: QuerySet[Case], filters: dict[str, Q]) -> dict[str, int]:
    """All cases the user may see and each group's share, in one pass over them (conditional
    aggregation) instead of one COUNT per group."""
    return visible.aggregate(all=Count("pk"), **{name: Count("pk", filter=q) for name, q in filters.items()})


def staff_choices(user: Any) -> list[tuple[str, list[tuple[int, str]]]]:
    """People to filter by or assign to, grouped by unit: handlers and dispatchers in the user's units
    (and grid workers, below county level where the list stays short)."""
    paths = policy.scope_paths(user, {Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.GRID_WORKER, Role.MEDIATOR})
    if not paths:
        return []
    roles = [Role.HANDLER, Role.DISPATCHER]
    if all(p.count("/") > 2 for p in paths):
        roles.append(Role.GRID_WORKER)
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("unit__path", p)
    rows = (
        RoleAssignment.objects.filter(q, role__in=roles, user__is_active=True, unit__is_active=True)
        .select_related("user", "unit")
        .order_by("unit__path", "user__username")[:400]
    )
    groups: dict[str, list[tuple[int, str]]] = {}
    seen: set[int] = set()
    for ra in rows:
        if ra.user_id in seen:
            continue
        seen.add(ra.user_id)
        groups.setdefault(ra.unit.name, []).append((ra.user_id, str(ra.user)))
    return list(groups.items())


def _unit_picker(user: Any, params: QueryDict) -> tuple[dict[str, Any], int | None]:
    """Town → village → grid selects; the deepest one chosen filters the list."""
    paths = policy.scope_paths(user)
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("path", p)
    towns = list(Unit.objects.filter(q, kind=UnitKind.TOWN, is_active=True).order_by("code"))
    if not towns:  # a user below town level: the towns on their own chain
        chain = {int(x) for p in paths for x in p.strip("/").split("/") if x}
        towns = list(Unit.objects.filter(pk__in=chain, kind=UnitKind.TOWN).order_by("code"))

    def picked(name: str) -> int | None:
        value = params.get(name, "")
        return int(value) if value.isdigit() else None

    town, village, grid = picked("town"), picked("village"), picked("grid")
    villages = (
        list(Unit.objects.filter(parent_id=town, kind=UnitKind.VILLAGE, is_active=True).order_by("code"))
        if town
        else []
    )
    if village and not any(v.pk == village for v in villages):
        village = None
    grids = (
        list(Unit.objects.filter(parent_id=village, kind=UnitKind.GRID, is_active=True).order_by("code"))
        if village
        else []
    )
    if grid and not any(g.pk == grid for g in grids):
        grid = None
    chosen = grid or village or (town if any(t.pk == town for t in towns) else None)
    return {
        "towns": towns,
        "villages": villages,
        "grids": grids,
        "town_choices": [(u.pk, u.name) for u in towns],
        "village_choices": [(u.pk, u.name) for u in villages],
        "grid_choices": [(u.pk, u.name) for u in grids],
        "town": town,
        "village": village,
        "grid": grid,
    }, chosen


def _categories() -> list[tuple[Category, list[Category]]]:
    """Active categories as (level-1 type, its children) — the intake form uses them too."""
    cats = list(Category.objects.filter(is_active=True).select_related("parent"))
    tops = [c for c in cats if c.parent_id is None]
    return [(t, [c for c in cats if c.parent_id == t.pk]) for t in tops]


def _category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The category filter's options: one group per level-1 type, the type itself ("（全部）") first."""
    return [
        (top.name, [(top.code, gettext("%(n)s（全部）") % {"n": top.name}), *((c.code, c.name) for c in children)])
        for top, children in _categories()
    ]


def list_base(user: Any, params: Any, everything: Any, filters: dict[str, Q]) -> tuple[str, Any]:
    """The case list's group ("my tasks") and the cases it starts from, from the request's parameters
    (``params`` is a mutable copy: ``handler=me`` becomes the user's id). The workbench and the export
    of the list (channels.views.ledger_export) read the same parameters this way."""
    group = params.get("group", "")
    if group not in GROUP_NAMES:
        group = ""
    if params.get("handler") == "me":
        params["handler"] = str(user.pk)
    return group, (everything.filter(filters[group]) if group else everything)


@staff_required
def workbench(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    now = timezone.now()
    everything = policy.restrict(Case.objects.all(), user)  # the scope filter, computed once
    filters = group_filters(user, now)
    params = request.GET.copy()
    warning = ""
    q = params.get("q", "").strip()
    if q and _PERSONAL.match(re.sub(r"[\s-]", "", q)):
        params["q"] = ""
        warning = gettext("请勿在搜索框中输入电话或证件号码（会出现在网址中）。请使用“按电话查找”。")
    group, base = list_base(user, params, everything, filters)
    picker, unit_id = _unit_picker(user, params)
    if unit_id:
        params["unit"] = str(unit_id)
    else:
        params.pop("unit", None)
    if not params.get("ordering"):
        params["ordering"] = "-created_at"
    filterset = CaseFilterSet(params, queryset=base)
    valid = filterset.is_valid()
    qs = filterset.qs if valid else base.none()
    counts = group_counts(everything, filters)
    # Unfiltered, the list is the whole scope or one group: its size is already counted.
    narrowed = any(params.get(name) for name in filterset.filters if name != "ordering")
    known = None if narrowed or not valid else counts[group or "all"]
    page = paginate_ids(qs, request.GET.get("page"), LIST_RELATED, count=known, only=LIST_ONLY_RELATED)
    for case in page.object_list:
        case.colour_now = case.computed_colour(now)  # type: ignore[attr-defined]
    all_count = counts["all"]
    count_text, pages_text = page.paginator.texts(page)  # type: ignore[attr-defined]
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "web/workbench/workbench.html",
        {
            "groups": [(name, label, help_, counts[name]) for name, label, help_ in GROUPS],
            "group": group,
            "all_count": all_count,
            "can_assign": user.has_role(*policy.ACTION_ROLES["assign_person"]),
            "page": page,
            "page_size": PAGE_SIZE,
            "count_text": count_text,
            "pages_text": pages_text,
            "query": keep.urlencode(),
            "filters": params,
            "filter_errors": filterset.errors,
            "picker": picker,
            "states": State.choices,
            "channels": Channel.choices,
            "levels": Level.choices,
            "colours": Colour.choices,
            "sorts": SORTS,
            "categories": _category_choices(),
            "staff": staff_choices(user),
            "handler_selected": "" if request.GET.get("handler") == "me" else params.get("handler", ""),
            "warning": warning,
            "now": now,
        },
    )


@staff_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign several cases to one handler: ``assign_person`` for each, reporting every outcome."""
    user = staff_user(request)
    back = request.POST.get("back", "")
    target = reverse("web:workbench") + (f"?{back}" if back and "://" not in back else "")
    handler = request.POST.get("handler", "")
    picked = [v for v in request.POST.getlist("cases") if v][: PAGE_SIZE * 4]
    if not picked or not handler:
        messages.error(request, gettext("请先勾选案件并选择承办人。"))
        return redirect(target)
    actor = Actor.staff(user)
    ok: list[str] = []
    failed: list[str] = []
    for item in picked:
        code, _sep, version = item.partition(":")
        case = case_queryset(user).filter(code=code).first()
        if case is None:
            failed.append(gettext("%(code)s：案件不存在或不在您的范围内") % {"code": code[:20]})
            continue
        try:
            actions.perform(
                "assign_person",
                case,
                actor,
                {"handler": handler, "reason": request.POST.get("reason", "").strip()},
                expected_version=int(version) if version.isdigit() else None,
                via="web",
            )
            ok.append(case.display_code)
        except ActionError as exc:
            detail = "；".join(formerrors.messages(exc.errors))
            failed.append(f"{case.display_code}：{exc.message}{('（' + detail + '）') if detail else ''}")
    if ok:
        messages.success(request, gettext("已指派 %(n)s 件：%(codes)s") % {"n": len(ok), "codes": "、".join(ok)})
    if failed:
        messages.error(request, gettext("%(n)s 件未能指派：%(list)s") % {"n": len(failed), "list": "；".join(failed)})
    return redirect(target)


@staff_required
@require_POST
def phone_search(request: HttpRequest) -> HttpResponse:
    """Cases of one party phone in the user's scope — a POST, so the number never enters a URL."""
    user = staff_user(request)
    phone = request.POST.get("phone", "").strip()
    results: list[Case] = []
    error = ""
    try:
        validate_phone(phone)
    except Exception:
        error = gettext("请输入有效的手机号码（11位）或固定电话（区号-号码）。")
    else:
        h = crypto.search_hash(phone)
        ids = Case.objects.filter(parties__phone_hash=h).values("pk")
        results = list(case_queryset(user).filter(pk__in=ids).order_by("-created_at")[:PAGE_SIZE])
        audit.record("pii.lookup", user=user, object_type="cases.party", detail={"matches": len(results)})
    now = timezone.now()
    for case in results:
        case.colour_now = case.computed_colour(now)  # type: ignore[attr-defined]
    return render(
        request,
        "web/workbench/phone_results.html",
        {"results": results, "error": error},
        status=400 if error else 200,
    )
