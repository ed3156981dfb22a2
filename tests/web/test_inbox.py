"""The staff inbox: notifications from case events, newest first, read on open, all read."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from fengqiao.cases.actions import perform
from fengqiao.notify.models import Notification
from tests.conftest import Org
from tests.helpers import new_case
from tests.web.conftest import signed_in


def test_inbox_lists_notifications_with_kinds(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the fan-out runs after commit
        case = new_case(org)  # 新案件 for the desk of 白塔镇综治中心
    with django_capture_on_commit_callbacks(execute=True):
        perform("assign_person", case, org.actor("sub1_dispatcher"), {"handler": org.user("handler1").pk})
    c = signed_in(org.user("handler1"))
    r = c.get("/staff/inbox/")
    body = r.content.decode()
    assert r.status_code == 200
    kinds = [row["n"].kind for row in r.context["rows"]]
    assert kinds[0] == "assigned" and "new_case" in kinds  # newest first
    assert "指派" in body and "新案件" in body and case.display_code in body
    assert "2 条未读" in body


def test_open_marks_read_and_goes_to_the_case(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = new_case(org)
    n = Notification.objects.get(user=org.user("handler1"))
    c = signed_in(org.user("handler1"))
    r = c.get(reverse("web:inbox_open", args=[n.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("web:case", args=[case.display_code])
    n.refresh_from_db()
    assert n.read_at is not None
    # Someone else's notification is not found.
    assert signed_in(org.user("handler2")).get(reverse("web:inbox_open", args=[n.pk])).status_code == 404


def test_mark_all_read_and_unread_filter(org: Org, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        new_case(org)
        new_case(org)
    c = signed_in(org.user("handler1"))
    assert len(c.get("/staff/inbox/", {"unread": "1"}).context["rows"]) == 2
    assert c.get(reverse("web:inbox_read_all")).status_code == 405
    r = c.post(reverse("web:inbox_read_all"), follow=True)
    assert "已将 2 条消息标为已读" in r.content.decode()
    assert not Notification.objects.filter(user=org.user("handler1"), read_at__isnull=True).exists()
    assert len(c.get("/staff/inbox/", {"unread": "1"}).context["rows"]) == 0
    assert "暂无消息" in c.get("/staff/inbox/", {"unread": "1"}).content.decode()
    # The header badge follows.
    assert 'class="badge"' not in c.get("/staff/inbox/").content.decode()
