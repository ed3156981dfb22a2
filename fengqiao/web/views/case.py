"""The case page: header and QR code, parties (masked, revealable), place, deadlines, units and team,
the timeline, attachments, related cases, and one form per action the user may take now."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from fengqiao.cases import codes, policy, uploads
from fengqiao.cases.actions import ACTIONS, ActionError, Actor, label_for, perform
from fengqiao.cases.doors import get_case_or_404, staff_required, staff_user
from fengqiao.cases.models import Attachment, Case, CaseEvent, Party, RevealGrant
from fengqiao.core import audit
from fengqiao.mediation.models import Mediator
from fengqiao.notify.templates import tracking_link
from fengqiao.org.choices import Role
from fengqiao.web.actionforms import FORMS, ORDER, FormContext, build_data, field_errors, initial_values
from fengqiao.web.forms import ACCEPT as UPLOAD_ACCEPT
from fengqiao.web.forms import RevealForm, UploadForm
from fengqiao.web.templatetags.web_tags import esc
from fengqiao.web.views.case_timeline import (
    deadlines,
    timeline,
    timeline_html,
    unit_chains,
)

REVEAL_MINUTES = 10


# ---------------------------------------------------------------------------------------------
# page parts


def _extendable(case: Case) -> bool:
    policy_ = case.deadline_policy
    if policy_ is None or policy_.extendable_days <= 0 or case.due_at is None:
        return False
    return not CaseEvent.objects.filter(case=case, code="case.extend").exists()


# The columns the related-case lists show (code, title, state, date): no joins needed.
RELATED_ONLY = ("code", "title", "state", "created_at", "merged_into")


def related_cases(case: Case, user: Any, parties: list[Party], visible: Q | None = None) -> dict[str, list[Case]]:
    visible = visible if visible is not None else policy.visible_q(user)
    scoped = policy.restrict(Case.objects.only(*RELATED_ONLY), user, visible=visible)
    hashes = {p.phone_hash for p in parties if p.phone_hash}
    ids: list[int] = []
    if hashes:
        # The ids first (an index lookup on the keyed hash), newest first; then only those rows through
        # the scope filter — never the scope filter joined against the whole party table.
        ids = list(
            Party.objects.filter(phone_hash__in=hashes)
            .exclude(case_id=case.pk)
            .order_by("-case_id")
            .values_list("case_id", flat=True)
            .distinct()[:100]
        )
    # Both lists from one query (at most 100 ids plus the merge relations), newest first.
    rows = list(
        scoped.filter(Q(pk__in=ids) | Q(merged_into=case) | Q(pk=case.merged_into_id or 0)).order_by(
            "-created_at", "-id"
        )
    )
    wanted = set(ids)
    same_phone = [c for c in rows if c.pk in wanted][:20]
    merged = [c for c in rows if c.merged_into_id == case.pk or (case.merged_into_id and c.pk == case.merged_into_id)]
    return {"same_phone": same_phone, "merged": merged}


def _options_html(options: list[tuple[str, Any, bool]]) -> str:
    return "".join(
        f'<option value="{esc(v)}"{" selected" if sel else ""}>{esc(label)}</option>' for v, label, sel in options
    )


def field_html(f: dict[str, Any]) -> str:
    """One action-form field as HTML — what the template include ``web/includes/field.html`` gave,
    built in Python: a case page shows a dozen forms with forty fields, and the include with its
    conditions was the largest part of the page's time."""
    fid, name, widget, errors = esc(f["id"]), esc(f["name"]), f["widget"], f["errors"]
    errid, helpid = f"{fid}-err", f"{fid}-help"
    req = ' <span class="req" aria-hidden="true">*</span>' if f["required"] else ""
    described = ""
    if f["help"] or errors:
        described = f' aria-describedby="{f"{errid} " if errors else ""}{helpid if f["help"] else ""}"'
    invalid = ' aria-invalid="true"' if errors else ""
    required = " required" if f["required"] else ""
    label = esc(f["label"])
    out = [f'<div class="field{" has-error" if errors else ""} w-{esc(widget)}">']
    if widget == "checkbox":
        aria = f' aria-invalid="true" aria-describedby="{errid}"' if errors else ""
        out.append(
            f'<label class="check" for="{fid}"><input type="checkbox" id="{fid}" name="{name}" value="true"'
            f"{' checked' if f['checked'] else ''}{aria}> {label}</label>"
        )
    elif widget == "checkboxes":
        items = (
            "".join(
                f'<label class="check" for="{fid}-{esc(v)}"><input type="checkbox" id="{fid}-{esc(v)}" name="{name}" '
                f'value="{esc(v)}"{" checked" if sel else ""}> {esc(lab)}</label>'
                for v, lab, sel in f["options"]
            )
            or f'<p class="muted" data-pool-empty>{esc(gettext("暂无推荐的调解员，请搜索调解资源库。"))}</p>'
        )
        out.append(
            f'<fieldset class="choices" id="{fid}"{described}><legend>{label}{req}</legend>'
            f'<div class="choice-list" data-pool-list>{items}</div></fieldset>'
        )
    else:
        out.append(f'<label for="{fid}">{label}{req}</label>')
        attrs = f'id="{fid}" name="{name}"'
        value = f["value"]
        if widget == "textarea":
            out.append(f'<textarea {attrs} rows="3"{required}{invalid}{described}>{esc(value)}</textarea>')
        elif widget in ("select", "multiselect", "tristate"):
            multiple = ' multiple size="6"' if widget == "multiselect" else ""
            if widget == "tristate":
                opts = (
                    f'<option value="">{esc(gettext("未回答"))}</option>'
                    f'<option value="true"{" selected" if value == "true" else ""}>{esc(gettext("是"))}</option>'
                    f'<option value="false"{" selected" if value == "false" else ""}>{esc(gettext("否"))}</option>'
                )
            else:
                blank = f'<option value="">{esc(f["blank"])}</option>' if f["blank"] else ""
                opts = blank + f["options_html"]
            out.append(f"<select {attrs}{multiple}{required}{invalid}{described}>{opts}</select>")
        else:
            kind = {
                "datetime": ' type="datetime-local"',
                "url": ' type="url" inputmode="url" placeholder="https://"',
                "number": ' type="number" min="1"',
            }.get(widget, ' type="text"')
            if widget == "code":
                kind += ' autocapitalize="characters" spellcheck="false" autocomplete="off"'
            shown = "" if value is None else value
            out.append(f'<input {attrs}{kind} value="{esc(shown)}"{required}{invalid}{described}>')
    if f["help"]:
        out.append(f'<p class="help" id="{helpid}">{esc(f["help"])}</p>')
    if errors:
        out.append(f'<ul class="errorlist" id="{errid}">{"".join(f"<li>{esc(e)}</li>" for e in errors)}</ul>')
    out.append("</div>")
    return "\n".join(out)


def _bound_fields(
    name: str,
    ctx: FormContext,
    values: QueryDict | dict[str, Any] | None,
    errors: dict[str, list[str]],
    memo: dict[tuple[int, frozenset[str]], tuple[Any, str]],
) -> list[dict[str, Any]]:
    form = FORMS[name]
    out = []
    for f in form.fields:
        fid = f"act-{name}-{f.name}"
        if isinstance(values, QueryDict):
            value: Any = values.get(f.name, "")
            selected = set(values.getlist(f.name))
            checked = values.get(f.name, "").lower() in {"on", "true", "1"}
        else:
            value = (values or {}).get(f.name, "")
            many = value if isinstance(value, list) else [value] if value != "" else []
            selected = {str(v) for v in many}
            checked = bool(value)
        choices = f.options(ctx) if f.widget in ("select", "multiselect", "checkboxes") else []
        options = [(str(v), label, str(v) in selected) for v, label in choices]
        # <option>s joined here, not looped in a template; the same list with the same selection
        # (the unit pickers of several forms) is joined once per page.
        options_html = ""
        if f.widget in ("select", "multiselect"):
            key = (id(choices), frozenset(selected))
            if key not in memo:  # the entry holds the list, so its id stays unique while memo lives
                memo[key] = (choices, _options_html(options))
            options_html = memo[key][1]
        bound = {
            "id": fid,
            "name": f.name,
            "label": f.label,
            "widget": f.widget,
            "required": f.required,
            "help": f.help,
            "blank": f.blank,
            "value": value,
            "checked": checked,
            "options": options,
            "options_html": options_html,
            "errors": errors.get(f.name, []),
        }
        bound["html"] = mark_safe(field_html(bound))  # noqa: S308 — field_html escapes every value
        out.append(bound)
    return out


def action_forms(
    case: Case,
    user: Any,
    allowed: list[str],
    active: str = "",
    values: QueryDict | None = None,
    errors: dict[str, list[str]] | None = None,
    pool_query: str = "",
    ctx: FormContext | None = None,
) -> list[dict[str, Any]]:
    ctx = ctx or FormContext(case, user, pool_query)
    memo: dict[tuple[int, frozenset[str]], tuple[Any, str]] = {}
    forms = []
    for name in ORDER:
        if name not in allowed or name not in FORMS or name not in ACTIONS:
            continue
        form = FORMS[name]
        is_active = name == active
        fields = _bound_fields(
            name,
            ctx,
            values if is_active and values is not None else initial_values(name, case, ctx),
            (errors or {}) if is_active else {},
            memo,
        )
        forms.append(
            {
                "name": name,
                "label": label_for(name),
                "form": form,
                "fields": fields,
                "active": is_active,
                "url": reverse("web:case_act", args=[case.code, name]),
            }
        )
    return forms


def render_case(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    active: str = "",
    values: QueryDict | None = None,
    errors: dict[str, list[str]] | None = None,
    page_errors: list[str] | None = None,
    upload_form: UploadForm | None = None,
    reveal_form: RevealForm | None = None,
    visible: Q | None = None,
) -> HttpResponse:
    user = staff_user(request)
    visible = visible if visible is not None else policy.visible_q(user)
    now = timezone.now()
    parties = list(case.parties.order_by("pk"))
    grant = RevealGrant.objects.filter(case=case, user=user, expires_at__gt=now).order_by("-expires_at").first()
    assisting = [cu.unit for cu in case.assisting.select_related("unit")]
    case._assisting_units = assisting  # type: ignore[attr-defined]  # reused by allowed_actions
    allowed = policy.allowed_actions(user, case)
    if "extend" in allowed and not _extendable(case):
        allowed.remove("extend")  # offered only where the deadline policy allows one extension, once
    pool_query = request.GET.get("pool", "") if request.method == "GET" else request.POST.get("pool", "")
    instructions = list(case.instructions.select_related("author", "answered_by").order_by("-created_at"))
    team = list(case.team.select_related("mediator"))
    unanswered = [i for i in instructions if i.answered_at is None]
    # Forms with nothing to act on are left out (no team to change, no instruction to answer).
    shown = [
        a
        for a in allowed
        if a == active or not ((a == "detach_team" and not team) or (a == "answer_instruction" and not unanswered))
    ]
    known_fields = ({f.name for f in FORMS[active].fields} | {"mediators"}) if active in FORMS else set()
    errors = dict(errors or {})
    page_errors = list(page_errors or [])
    for key in list(errors):
        if key not in known_fields:
            page_errors.extend(errors.pop(key))
    chains = unit_chains(case.location_unit, case.owner_unit)  # one query for both chains and the forms
    ctx = FormContext(
        case, user, pool_query, team=team, unanswered=unanswered, assisting=assisting, chains=chains, parties=parties
    )
    forms = action_forms(case, user, shown, active, values, errors, pool_query, ctx)
    context = {
        "case": case,
        "qr": codes.qr_svg(tracking_link(case, request), scale=3),
        "colour": case.computed_colour(now),
        "parties": parties,
        "revealed": grant,
        "can_reveal": bool(allowed) or user.has_role(Role.LEADER, Role.SUPERVISOR),
        "location_chain": chains.get(case.location_unit_id or 0, []),
        "owner_chain": chains.get(case.owner_unit_id, []),
        "deadlines": deadlines(case, now),
        "assisting": assisting,
        "team": team,
        "sessions": list(case.sessions.order_by("-held_at")),
        "meetings": list(case.meetings.order_by("-held_at")),
        "instructions": instructions,
        "unanswered": unanswered,
        "attachments": list(case.attachments.select_related("uploaded_by").order_by("-uploaded_at")),
        "max_attachments": uploads.MAX_PER_CASE,
        "related": related_cases(case, user, parties, visible),
        "visible_q": visible,  # the user's scope, computed once: panels of later apps restrict with it
        "timeline_html": mark_safe(timeline_html(timeline(case))),  # noqa: S308 — escaped in timeline_html
        "forms": forms,
        "form_open": any(f["active"] for f in forms),
        "allowed": allowed,
        "can_upload": "note" in allowed,
        "upload_form": upload_form or UploadForm(initial={"version": case.version}),
        "upload_accept": UPLOAD_ACCEPT,
        "reveal_form": reveal_form or RevealForm(),
        "page_errors": page_errors,
        "active": active,
        "pool_query": pool_query,
        "now": now,
    }
    return render(request, "web/case/case.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# views


@staff_required
@require_GET
def case_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = staff_user(request)
    visible = policy.visible_q(user)  # once for the case and its related cases
    case = get_case_or_404(user, code, visible=visible)
    if codes.display(case.code) != code and case.code != code:
        return redirect("web:case", code=case.display_code)
    return render_case(request, case, active=request.GET.get("open", ""), visible=visible)


def _expected_version(post: QueryDict) -> int:
    value = post.get("version", "")
    return int(value) if value.isdigit() else -1


@staff_required
@require_POST
def case_act(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """Take one action through the action layer; on refusal the page comes back with the form filled
    in, the field errors beside the fields and the message on top (nothing was written)."""
    user = staff_user(request)
    if name not in FORMS or name not in ACTIONS:
        raise Http404
    case = get_case_or_404(user, code)
    data = build_data(name, request.POST, case)
    try:
        perform(name, case, Actor.staff(user), data, expected_version=_expected_version(request.POST), via="web")
    except ActionError as exc:
        per_field, general = field_errors(exc.errors)
        fresh = get_case_or_404(user, case.code)
        return render_case(
            request,
            fresh,
            status=exc.status,
            active=name,
            values=request.POST,
            errors=per_field,
            page_errors=[exc.message, *general],
        )
    messages.success(request, gettext("已完成「%(action)s」。") % {"action": label_for(name)})
    if policy.can_view(user, case):
        return redirect(reverse("web:case", args=[case.display_code]) + "#timeline")
    return redirect("web:workbench")


@staff_required
@require_POST
def case_upload(request: HttpRequest, code: str) -> HttpResponse:
    """Upload one attachment. The upload is recorded as an internal note in the same transaction, so it
    needs the right to add a note, and a stale page is refused like any other action."""
    user = staff_user(request)
    case = get_case_or_404(user, code)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_case(request, case, status=400, upload_form=form, page_errors=[gettext("附件上传失败。")])
    upload: UploadedFile = form.cleaned_data["file"]
    stored: Attachment | None = None
    try:
        checked = uploads.check(upload, records=True)  # staff: also recordings and Word/Excel files
        with transaction.atomic():
            perform(
                "note",
                case,
                Actor.staff(user),
                {"text": f"上传附件：{checked.name}", "public": False},  # stored text: not translated
                expected_version=form.cleaned_data["version"],
                via="web",
            )
            uploads.check_count(case)  # the case row is locked by now
            stored = Attachment(
                case=case,
                kind=form.cleaned_data["kind"],
                original_name=checked.name,
                content_type=checked.type.content_type,
                size=checked.size,
                sha256=checked.sha256,
                public=form.cleaned_data["public"],
                uploaded_by=user,
            )
            stored.file.save(f"upload{checked.type.ext}", upload, save=False)
            stored.save()
    except (uploads.UploadError, ActionError) as exc:
        if stored is not None and stored.file.name:
            stored.file.storage.delete(stored.file.name)
        form.add_error("file", exc.message)
        fresh = get_case_or_404(user, case.code)
        status = exc.status if isinstance(exc, ActionError) else 400
        return render_case(
            request, fresh, status=status, upload_form=form, page_errors=[gettext("附件上传失败：") + exc.message]
        )
    except Exception:
        if stored is not None and stored.file.name:
            stored.file.storage.delete(stored.file.name)
        raise
    messages.success(request, gettext("附件已上传。"))
    return redirect(reverse("web:case", args=[case.display_code]) + "#attachments")


@staff_required
@require_GET
def attachment_download(request: HttpRequest, code: str, pk: int) -> HttpResponse | FileResponse:
    user = staff_user(request)
    case = get_case_or_404(user, code)  # the policy again: out of scope → 404
    att = Attachment.objects.filter(case=case, pk=pk).first()
    if att is None or not att.file:
        raise Http404
    try:
        fh = att.file.open("rb")
    except FileNotFoundError:
        raise Http404
    audit.record("attachment.download", user=user, obj=att, detail={"case": case.code})
    response = FileResponse(fh, as_attachment=True, filename=att.original_name, content_type=att.content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@staff_required
@require_POST
def case_reveal(request: HttpRequest, code: str) -> HttpResponse:
    """Show the parties' full personal data for 10 minutes: with a reason, audited (like the API)."""
    user = staff_user(request)
    case = get_case_or_404(user, code)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render_case(request, case, status=400, reveal_form=form, page_errors=[gettext("请填写查看理由。")])
    if not policy.allowed_actions(user, case) and not user.has_role(Role.LEADER, Role.SUPERVISOR):
        audit.record("pii.reveal", user=user, obj=case, result="denied", detail={})
        return render_case(request, case, status=403, page_errors=[gettext("您无权查看该案件的个人信息。")])
    expires = timezone.now() + dt.timedelta(minutes=REVEAL_MINUTES)
    RevealGrant.objects.create(case=case, user=user, reason=form.cleaned_data["reason"], expires_at=expires)
    audit.record("pii.reveal", user=user, obj=case, detail={"reason": form.cleaned_data["reason"]})
    messages.info(
        request,
        gettext("已显示完整个人信息，%(t)s 前有效。查看已记录审计。")
        % {"t": timezone.localtime(expires).strftime("%H:%M")},
    )
    return redirect(reverse("web:case", args=[case.display_code]) + "#parties")


@staff_required
@require_GET
def case_receipt(request: HttpRequest, code: str) -> HttpResponse:
    """The printable receipt (回执) handed to the citizen: code, QR code, what was registered."""
    case = get_case_or_404(staff_user(request), code)
    applicants = [p for p in case.parties.order_by("pk") if p.role == "applicant"]
    # Headed by the unit that registered it (the centre the citizen stood in), not by the unit
    # triage routed it to; a case that came in without a staff member falls back to its owner.
    registered = (
        case.events.filter(code="case.register").select_related("actor__unit", "actor_unit").order_by("pk").first()
    )
    issuer = case.owner_unit
    if registered is not None:
        issuer = (registered.actor.unit if registered.actor else None) or registered.actor_unit or issuer
    return render(
        request,
        "web/case/receipt.html",
        {
            "case": case,
            "qr": codes.qr_svg(tracking_link(case, request), scale=5),
            "applicants": applicants,
            "issuer": issuer,
        },
    )


@staff_required
@require_GET
def mediator_lookup(request: HttpRequest) -> JsonResponse:
    """点兵点将: search the mediator pool by name or kind (up to 20)."""
    q = request.GET.get("q", "").strip()[:40]
    if not q:
        return JsonResponse({"results": []})
    kinds = [value for value, label in Mediator._meta.get_field("kind").choices or [] if q in str(label)]
    found = Mediator.objects.filter(Q(name__icontains=q) | Q(kind__in=kinds)).select_related("unit")
    results = [
        {
            "id": m.pk,
            "label": f"{m.name}（{m.get_kind_display()}，{m.unit.name}，在办 {m.active_cases}/{m.capacity}）",
            "available": m.available,
        }
        for m in found.order_by("-available", "active_cases", "name")[:20]
    ]
    return JsonResponse({"results": results})
