"""The only writer of grid work: patrols and check-ins, visits, on-the-spot reports and deliveries.

Each function takes the acting ``user``, validates its input (errors per field, nothing written on a
refusal), checks the grant (fengqiao.gridwork.policy), and writes the change, one :class:`GridEvent`
and one audit row in one transaction. Check-ins and patrol starts carry a client id made on the phone:
sending the same one again (a retry after the connection dropped) returns the row already saved.
An on-the-spot report becomes a case through the case action layer (register_case), never directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases import codes, uploads
from fengqiao.cases.actions import ActionForbidden, ActionInvalid, Actor, InvalidTransition, perform, register_case
from fengqiao.cases.actions import validate as _validate
from fengqiao.cases.choices import AttachmentKind, Channel
from fengqiao.cases.models import Attachment, Case
from fengqiao.cases.policy import Grant
from fengqiao.cases.policy import restrict as restrict_cases
from fengqiao.core import audit
from fengqiao.gridwork import inputs
from fengqiao.gridwork.choices import VisitStatus
from fengqiao.gridwork.models import CheckIn, Delivery, GridEvent, Patrol, Visit
from fengqiao.gridwork.policy import GRID_KINDS, grant_in
from fengqiao.org.models import Unit

IMAGES = {uploads.JPEG.content_type, uploads.PNG.content_type, uploads.WEBP.content_type}
MAX_CHECKINS = 2000  # per patrol: a day's walk at one point a minute is far below
EARLY = dt.timedelta(minutes=5)


def validate(input_cls: Any, data: Any) -> dict[str, Any]:
    return _validate(input_cls, dict(data or {}))


def _need(user: Any, action: str, grid: Unit) -> Grant:
    if grid.kind not in GRID_KINDS:
        raise ActionInvalid(_("请选择网格。"), {"grid": [_("%(unit)s不是网格。") % {"unit": grid.name}]})
    grant = grant_in(user, action, grid)
    if grant is None:
        raise ActionForbidden(_("您无权在%(grid)s办理此项工作。") % {"grid": grid.name})
    return grant


def check_photo(photo: Any) -> uploads.CheckedFile | None:
    """A photo is checked by its first bytes (JPEG, PNG or WEBP) before anything is written."""
    if not photo:
        return None
    try:
        checked = uploads.check(photo)
    except uploads.UploadError as exc:
        raise ActionInvalid(exc.message, {"photo": [exc.message]}) from exc
    if checked.type.content_type not in IMAGES:
        raise ActionInvalid(_("照片只能是 JPEG、PNG 或 WEBP 图片。"), {"photo": [_("请上传图片。")]})
    return checked


def _save_photo(obj: Any, photo: Any, checked: uploads.CheckedFile | None) -> None:
    if checked is None:
        return
    obj.photo.save(f"photo{checked.type.ext}", photo, save=False)
    obj.photo_type = checked.type.content_type
    if hasattr(obj, "photo_sha256"):
        obj.photo_sha256 = checked.sha256


def _record(code: str, user: Any, grant: Grant | None, grid: Unit, **links: Any) -> GridEvent:
    data = links.pop("data", {})
    event = GridEvent.objects.create(
        code=code,
        actor=user if getattr(user, "is_authenticated", False) else None,
        actor_role=grant.role if grant else "",
        grid=grid,
        grid_path=grid.path,
        data=data,
        **links,
    )
    obj = next((v for v in links.values() if v is not None), None)
    audit.record(
        f"gridwork.{code}",
        user=event.actor,
        role=event.actor_role,
        unit_id=grant.unit.pk if grant and grant.unit else None,
        obj=obj,
        detail={"event": event.pk, "grid": grid.pk, **data},
    )
    return event


# ---------------------------------------------------------------------------------------------
# patrols


def start_patrol(user: Any, grid: Unit, data: Any) -> Patrol:
    """Start a patrol of ``grid``; the same client id again returns the patrol already started."""
    grant = _need(user, "patrol", grid)
    values = validate(inputs.StartPatrolInput, data)
    existing = Patrol.objects.filter(client_id=values["client_id"]).first()
    if existing is not None:
        if existing.worker_id != user.pk:
            raise ActionInvalid(_("编号已被使用。"), {"client_id": [_("编号已被使用。")]})
        return existing
    if Patrol.objects.filter(worker=user, ended_at__isnull=True).exists():
        raise InvalidTransition(_("您还有一次巡查没有结束，请先结束它。"))
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                grid=grid,
                grid_path=grid.path,
                worker=user,
                client_id=values["client_id"],
                started_at=values.get("started_at") or timezone.now(),
            )
            _record("patrol.start", user, grant, grid, patrol=patrol)
    except IntegrityError:  # the same start sent twice at once: the other one won
        return Patrol.objects.get(client_id=values["client_id"], worker=user)
    return patrol


def check_in(user: Any, patrol: Patrol, data: Any, photo: Any = None) -> tuple[CheckIn, bool]:
    """Add one point to the worker's own patrol. Returns (check-in, created): a client id already
    saved returns the saved point and writes nothing (offline queues resend freely)."""
    values = validate(inputs.CheckInInput, data)
    checked = check_photo(photo)
    with transaction.atomic():
        p = Patrol.objects.select_for_update().select_related("grid").get(pk=patrol.pk)
        if p.worker_id != getattr(user, "pk", None):
            raise ActionForbidden(_("只能在本人的巡查中签到。"))
        grant = _need(user, "patrol", p.grid)
        existing = CheckIn.objects.filter(patrol=p, client_id=values["client_id"]).first()
        if existing is not None:
            return existing, False
        at = values["at"]
        if at < p.started_at - EARLY:
            raise ActionInvalid(_("签到时间早于巡查开始时间。"), {"at": [_("签到时间早于巡查开始时间。")]})
        if p.ended_at is not None and at > p.ended_at + EARLY:
            raise InvalidTransition(_("巡查已结束，不能再签到。"))
        if p.checkin_count >= MAX_CHECKINS:
            raise ActionInvalid(_("本次巡查的签到点已达上限。"))
        point = CheckIn(
            patrol=p,
            client_id=values["client_id"],
            at=at,
            lat=values.get("lat"),
            lon=values.get("lon"),
            accuracy=values.get("accuracy"),
            note=values.get("note", ""),
        )
        _save_photo(point, photo, checked)
        point.save()
        p.checkin_count += 1
        p.save(update_fields=["checkin_count"])
        _record(
            "patrol.checkin",
            user,
            grant,
            p.grid,
            patrol=p,
            data={"checkin": point.pk, "located": point.located, "photo": bool(checked)},
        )
    return point, True


def stop_patrol(user: Any, patrol: Patrol, data: Any) -> Patrol:
    values = validate(inputs.StopPatrolInput, data)
    with transaction.atomic():
        p = Patrol.objects.select_for_update().select_related("grid").get(pk=patrol.pk)
        if p.worker_id != getattr(user, "pk", None):
            raise ActionForbidden(_("只能结束本人的巡查。"))
        grant = _need(user, "patrol", p.grid)
        if p.ended_at is not None:
            return p  # a second tap on 结束: already ended
        ended = values.get("ended_at") or timezone.now()
        if ended < p.started_at:
            raise ActionInvalid(_("结束时间早于开始时间。"), {"ended_at": [_("结束时间早于开始时间。")]})
        p.ended_at = ended
        p.note = values.get("note", "")
        p.save(update_fields=["ended_at", "note"])
        _record("patrol.stop", user, grant, p.grid, patrol=p, data={"checkins": p.checkin_count})
    return p


# ---------------------------------------------------------------------------------------------
# visits


def case_in_reach(user: Any, grid: Unit, code: str) -> Case | None:
    """A case the user may see, or one whose place (属地) lies in ``grid``: the town's case about a
    household of the grid is the grid worker's to visit and to deliver documents for."""
    found = Case.objects.filter(code=codes.normalise(code)).first() if code else None
    if found is None:
        return None
    if found.location_path.startswith(grid.path) or restrict_cases(Case.objects.filter(pk=found.pk), user).exists():
        return found
    return None


def _case_by_code(user: Any, grid: Unit, code: str) -> Case | None:
    if not code:
        return None
    case = case_in_reach(user, grid, code)
    if case is None:
        raise ActionInvalid(_("没有找到这个案件。"), {"case": [_("案件编码不存在或不在您的辖区内。")]})
    return case


def plan_visit(user: Any, grid: Unit, data: Any) -> Visit:
    grant = _need(user, "plan_visit", grid)
    values = validate(inputs.PlanVisitInput, data)
    if values["due_date"] < timezone.localdate() - dt.timedelta(days=1):
        raise ActionInvalid(_("应走访日期不能早于今天。"), {"due_date": [_("应走访日期不能早于今天。")]})
    case = _case_by_code(user, grid, values.get("case", ""))
    with transaction.atomic():
        visit = Visit.objects.create(
            grid=grid,
            grid_path=grid.path,
            subject_kind=values["subject_kind"],
            subject_name=values["subject_name"].strip(),
            address=values.get("address", ""),
            case=case,
            purpose=values["purpose"].strip(),
            due_date=values["due_date"],
            planned_by=user,
        )
        _record("visit.plan", user, grant, grid, visit=visit, data={"due": str(visit.due_date)})
    return visit


def record_visit(user: Any, visit: Visit, data: Any, photo: Any = None) -> Visit:
    values = validate(inputs.RecordVisitInput, data)
    checked = check_photo(photo)
    with transaction.atomic():
        v = Visit.objects.select_for_update().select_related("grid").get(pk=visit.pk)
        grant = _need(user, "record_visit", v.grid)
        if v.status != VisitStatus.PLANNED:
            raise InvalidTransition(_("该走访当前为“%(s)s”，不能再记录。") % {"s": v.get_status_display()})
        v.status = VisitStatus.DONE
        v.done_by = user
        v.done_at = values.get("done_at") or timezone.now()
        v.outcome = values["outcome"]
        v.notes = values["notes"]
        v.lat, v.lon = values.get("lat"), values.get("lon")
        _save_photo(v, photo, checked)
        v.save()
        overdue = timezone.localtime(v.done_at).date() > v.due_date
        _record("visit.record", user, grant, v.grid, visit=v, data={"outcome": v.outcome, "late": overdue})
    return v


def cancel_visit(user: Any, visit: Visit, data: Any) -> Visit:
    values = validate(inputs.CancelVisitInput, data)
    with transaction.atomic():
        v = Visit.objects.select_for_update().select_related("grid").get(pk=visit.pk)
        grant = _need(user, "cancel_visit", v.grid)
        if v.status != VisitStatus.PLANNED:
            raise InvalidTransition(_("只有待走访的安排可以取消。"))
        v.status = VisitStatus.CANCELLED
        v.notes = values["reason"]
        v.save(update_fields=["status", "notes"])
        _record("visit.cancel", user, grant, v.grid, visit=v, data={"reason": values["reason"]})
    return v


# ---------------------------------------------------------------------------------------------
# on-the-spot report and delivery


def report(user: Any, grid: Unit, data: Any, photo: Any = None) -> Case:
    """现场上报: one step from what the worker sees to a registered case of their grid (channel 网格员上报),
    with the photo as the case's first attachment and the phone's location. ``resolved_on_spot``
    accepts and resolves it at once (当场化解) through the same case actions."""
    grant = _need(user, "report", grid)
    values = validate(inputs.ReportInput, data)
    checked = check_photo(photo)
    payload: dict[str, Any] = {
        "title": values["title"],
        "description": values["description"],
        "category": values["category"].code if values.get("category") else None,
        "channel": Channel.GRID,
        "location_unit": grid.pk,
        "owner_unit": grid.pk,
        "address_text": values.get("address_text", ""),
        "lat": values.get("lat"),
        "lon": values.get("lon"),
        "people_count": values["people_count"],
    }
    stored: Attachment | None = None
    try:
        with transaction.atomic():
            case, _created = register_case(Actor.staff(user), payload, via="grid")
            if checked is not None:
                stored = Attachment(
                    case=case,
                    kind=AttachmentKind.EVIDENCE,
                    original_name=checked.name,
                    content_type=checked.type.content_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    uploaded_by=user,
                )
                stored.file.save(f"upload{checked.type.ext}", photo, save=False)
                stored.save()
            if values.get("resolved_on_spot"):
                actor = Actor.staff(user)
                perform("accept", case, actor, {}, via="grid")
                result = {"agreement": False, "matter_settled": True, "grievance_settled": True}
                perform("resolve", case, actor, {**result, "result": values["result"]}, via="grid")
                case.refresh_from_db()
            _record(
                "report.case",
                user,
                grant,
                grid,
                case=case,
                data={"case": case.pk, "photo": bool(checked), "on_spot": bool(values.get("resolved_on_spot"))},
            )
    except Exception:
        if stored is not None and stored.file.name:
            stored.file.storage.delete(stored.file.name)
        raise
    return case


def deliver(user: Any, grid: Unit, case: Case, data: Any, photo: Any = None) -> Delivery:
    """Record a document delivered to a party of ``case`` (a case the user can see, or one whose
    place lies in the grid)."""
    grant = _need(user, "deliver", grid)
    if case_in_reach(user, grid, case.code) is None:
        raise ActionForbidden(_("该案件不在您的辖区内。"))
    values = validate(inputs.DeliveryInput, data)
    checked = check_photo(photo)
    with transaction.atomic():
        d = Delivery(
            case=case,
            grid=grid,
            grid_path=grid.path,
            document_kind=values["document_kind"],
            document_title=values["document_title"],
            recipient_name=values["recipient_name"].strip(),
            method=values["method"],
            confirmed=values.get("confirmed", False),
            confirmation=values.get("confirmation", ""),
            delivered_at=values.get("delivered_at") or timezone.now(),
            delivered_by=user,
            lat=values.get("lat"),
            lon=values.get("lon"),
        )
        _save_photo(d, photo, checked)
        d.save()
        _record(
            "delivery.record",
            user,
            grant,
            grid,
            delivery=d,
            case=case,
            data={"case": case.pk, "method": d.method, "confirmed": d.confirmed},
        )
    return d
