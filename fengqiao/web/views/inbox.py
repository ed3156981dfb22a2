"""The staff inbox: notifications fanned out from case events, newest first."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fengqiao.cases.doors import staff_required, staff_user
from fengqiao.core import adminlabels
from fengqiao.notify.models import Notification
from fengqiao.web.views.common import event_title

KIND_LABELS: dict[str, Any] = {
    "new_case": _("新案件"),
    "to_accept": _("待接收"),
    "assigned": _("指派"),
    "team": _("调解团队"),
    "instruction": _("领导批示"),
    "instruction_answered": _("批示已回复"),
    "rate": _("群众评价"),
    "reopen": _("重新办理"),
    "decline": _("拒收退回"),
    "colour_yellow": _("黄码督办"),
    "colour_red": _("红码督办"),
    "deadline": _("时限提醒"),
    "high_risk": _("高风险预警"),
}


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    unread_only = request.GET.get("unread") == "1"
    qs = Notification.objects.filter(user=user).select_related("case", "event").order_by("-created_at", "-pk")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "n": n,
            "kind": KIND_LABELS.get(n.kind)
            or adminlabels.lookup("inbox_kind", n.kind)
            or _("系统通知"),  # never a code
            "event": event_title(n.event.code),
            "reason": n.event.reason,
        }
        for n in page.object_list
    ]
    return render(request, "web/inbox/inbox.html", {"page": page, "rows": rows, "unread_only": unread_only})


@staff_required
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a notification: mark it read and go to its case."""
    n = Notification.objects.filter(pk=pk, user=staff_user(request)).select_related("case").first()
    if n is None:
        raise Http404
    if n.read_at is None:
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("web:case", code=n.case.display_code)


@staff_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.filter(user=staff_user(request), read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, gettext("已将 %(n)s 条消息标为已读。") % {"n": count})
    return redirect("web:inbox")
