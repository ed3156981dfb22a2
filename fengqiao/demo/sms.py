"""The demo's recent SMS, for a person trying the demo: the verification code a citizen waits for,
the receipt and progress messages. Only while the console or file SMS backend is in use and never
in production (``FENGQIAO_PRODUCTION``): there real messages go to real phones and stay there.

``fengqiao demo-sms`` prints them; staff open /staff/demo/sms/ (the page is listed in the staff
menu only when it is available)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fengqiao.core import crypto
from fengqiao.notify.models import OutboundMessage

DEV_BACKENDS = {
    "fengqiao.notify.backends.ConsoleSMSBackend",
    "fengqiao.notify.backends.FileSMSBackend",
}
SHOWN = 50


def available() -> bool:
    return not getattr(settings, "PRODUCTION", False) and settings.FENGQIAO_SMS_BACKEND in DEV_BACKENDS


def recent(phone: str = "", limit: int = SHOWN) -> QuerySet[OutboundMessage]:
    """The newest SMS, newest first; only those to ``phone`` when it is given."""
    qs = OutboundMessage.objects.filter(channel="sms").order_by("-created_at", "-pk")
    if phone:
        wanted = crypto.normalise_phone(phone)
        # recipients are encrypted: compare after decrypting the newest few hundred
        ids = [m.pk for m in qs[:500] if crypto.normalise_phone(str(m.recipient)) == wanted]
        qs = qs.filter(pk__in=ids)
    return qs[:limit]


def rows(phone: str = "", limit: int = SHOWN) -> list[dict[str, Any]]:
    return [
        {
            "at": timezone.localtime(m.created_at),
            "to": crypto.mask_phone(str(m.recipient)),
            "text": m.text,
            "status": m.get_status_display(),
        }
        for m in recent(phone, limit)
    ]


@login_required
def demo_sms(request: HttpRequest) -> HttpResponse:
    if not available():
        raise Http404
    phone = request.POST.get("phone", "").strip() if request.method == "POST" else ""
    return render(request, "demo/sms.html", {"rows": rows(phone), "phone": phone, "shown": SHOWN})
