"""The only writer of volunteer work: register a volunteer, publish an activity, sign up, check in and
out (hours → points by the activity's rule), redeem in the village's 道德超市.

Points rule: whole minutes served (check-out − check-in, capped at the activity's length) × the
activity's points per hour ÷ 60, rounded down; credited once per sign-up (ledger source
"signup:<id>"). A redemption locks the reward row, refuses when the stock is 0 or the balance is short,
takes one from the stock and appends a negative ledger line ("redeem:<id>") in one transaction, so
concurrent redemptions never push the stock below zero nor the balance below zero.

A volunteer acts for themself on the portal (``volunteer_self``): join with a verified phone, sign
up for / cancel activities near their village, ask for a redemption. Staff check in and out, confirm
the hand-over of a redemption or cancel it (the points and the item come back, by a new ledger line)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.core import audit, crypto
from fengqiao.core.validators import validate_phone
from fengqiao.gridwork.actions import validate
from fengqiao.gridwork.models_volunteer import (
    Activity,
    PointsEntry,
    Redemption,
    RedemptionStatus,
    Reward,
    SignUp,
    Volunteer,
)
from fengqiao.gridwork.policy import VOLUNTEER_ROLES, scope_paths
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

ORGANISERS = VOLUNTEER_ROLES


class VolunteerInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)

    def validate_phone(self, value: str) -> str:
        from django.core.exceptions import ValidationError

        try:
            validate_phone(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return crypto.normalise_phone(value)


class ActivityInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=100)
    place = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=10000)
    points_per_hour = serializers.IntegerField(min_value=0, max_value=100, default=10)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": [_("结束时间须晚于开始时间。")]})
        return attrs


def _need(user: Any, unit: Unit) -> str:
    for p in scope_paths(user, ORGANISERS):
        if unit.path.startswith(p):
            return p
    raise ActionForbidden(_("您无权管理%(unit)s的志愿服务。") % {"unit": unit.name})


def _audit(code: str, user: Any, obj: Any, **detail: Any) -> None:
    if user is None:
        detail["by"] = "volunteer"  # the volunteer themself, on the portal
    audit.record(f"volunteer.{code}", user=user, obj=obj, detail=detail)


def can_manage(user: Any, unit: Unit) -> bool:
    return any(unit.path.startswith(p) for p in scope_paths(user, ORGANISERS))


def register_volunteer(user: Any, village: Unit, data: Any) -> Volunteer:
    """Staff register a volunteer of a village in their scope."""
    if village.kind != UnitKind.VILLAGE:
        raise ActionInvalid(_("请选择村（社区）。"), {"village": [_("志愿者按村（社区）登记。")]})
    _need(user, village)
    return _create_volunteer(user, village, validate(VolunteerInput, data))


def join(village: Unit, data: Any, verified_hash: str) -> Volunteer:
    """A citizen joins on the portal with the phone the door has proved by SMS code (its hash)."""
    if village.kind != UnitKind.VILLAGE or not village.is_active:
        raise ActionInvalid(_("请选择村（社区）。"), {"village": [_("请选择您所在的村（社区）。")]})
    values = validate(VolunteerInput, data)
    if not verified_hash or crypto.search_hash(values["phone"]) != verified_hash:
        msg = _("请先用短信验证码验证这个手机号。")
        raise ActionInvalid(msg, {"phone": [msg]})
    return _create_volunteer(None, village, values)


def _create_volunteer(user: Any, village: Unit, values: dict[str, Any]) -> Volunteer:
    digest = crypto.search_hash(values["phone"])
    if Volunteer.objects.filter(phone_hash=digest).exists():
        raise ActionInvalid(_("该手机号已登记为志愿者。"), {"phone": [_("该手机号已登记为志愿者。")]})
    try:
        with transaction.atomic():
            v = Volunteer.objects.create(
                village=village,
                village_path=village.path,
                name=values["name"].strip(),
                phone=values["phone"],
                phone_hash=digest,
                registered_by=user,
            )
            _audit("register", user, v)
    except IntegrityError as exc:  # the same phone joined at the same moment
        raise ActionInvalid(_("该手机号已登记为志愿者。"), {"phone": [_("该手机号已登记为志愿者。")]}) from exc
    return v


def publish_activity(user: Any, unit: Unit, data: Any) -> Activity:
    _need(user, unit)
    values = validate(ActivityInput, data)
    with transaction.atomic():
        a = Activity.objects.create(unit=unit, unit_path=unit.path, created_by=user, **values)
        _audit("publish", user, a)
    return a


def sign_up(user: Any, activity: Activity, volunteer: Volunteer) -> SignUp:
    """Staff sign a volunteer up (``user``), or the volunteer themself (``user`` None: only for an
    activity of their village, of a grid in it, or of their town or county)."""
    with transaction.atomic():
        a = Activity.objects.select_for_update().get(pk=activity.pk)
        if user is not None:
            _need(user, a.unit)
        elif not is_near(a, volunteer):
            raise ActionForbidden(_("只能报名本村（社区）及所在乡镇的活动。"))
        if a.cancelled_at is not None:
            raise InvalidTransition(_("活动已取消，不能报名。"))
        if a.ends_at <= timezone.now():
            raise InvalidTransition(_("活动已结束，不能报名。"))
        if a.signed_up >= a.capacity:
            raise InvalidTransition(_("报名人数已满。"))
        old = SignUp.objects.select_for_update().filter(activity=a, volunteer=volunteer).first()
        if old is not None and old.cancelled_at is None:
            raise InvalidTransition(_("该志愿者已报名。"))
        if old is not None:
            old.cancelled_at = None
            old.signed_at = timezone.now()
            old.save(update_fields=["cancelled_at", "signed_at"])
            s = old
        else:
            try:
                with transaction.atomic():
                    s = SignUp.objects.create(activity=a, volunteer=volunteer)
            except IntegrityError as exc:
                raise InvalidTransition(_("该志愿者已报名。")) from exc
        a.signed_up += 1
        a.save(update_fields=["signed_up"])
        _audit("signup", user, s)
    return s


def cancel_sign_up(user: Any, signup: SignUp, volunteer: Volunteer | None = None) -> SignUp:
    """Cancel a sign-up before check-in: by staff (``user``) or by the volunteer (``user`` None,
    ``volunteer`` the one signed up). The place is freed."""
    with transaction.atomic():
        s = SignUp.objects.select_for_update().select_related("activity__unit").get(pk=signup.pk)
        if user is not None:
            _need(user, s.activity.unit)
        elif volunteer is None or s.volunteer_id != volunteer.pk:
            raise ActionForbidden(_("只能取消自己的报名。"))
        if s.cancelled_at is not None:
            raise InvalidTransition(_("报名已取消。"))
        if s.checked_in_at is not None:
            raise InvalidTransition(_("已签到，不能取消报名。"))
        a = Activity.objects.select_for_update().get(pk=s.activity_id)
        s.cancelled_at = timezone.now()
        s.save(update_fields=["cancelled_at"])
        a.signed_up = max(0, a.signed_up - 1)
        a.save(update_fields=["signed_up"])
        _audit("signup_cancel", user, s)
    return s


def is_near(activity: Activity, volunteer: Volunteer) -> bool:
    """An activity of the volunteer's village (or a grid in it), or of a unit above it (town, county)."""
    return volunteer.village_path.startswith(activity.unit_path) or activity.unit_path.startswith(
        volunteer.village_path
    )


def near_q(village_path: str) -> Any:
    """Activities near a village: its own subtree and the units above it."""
    from django.db.models import Q

    from fengqiao.org.paths import subtree_q

    parts = [p for p in village_path.strip("/").split("/") if p]
    above = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
    return subtree_q("unit_path", village_path) | Q(unit_path__in=above)


def edit_activity(user: Any, activity: Activity, data: Any) -> Activity:
    """Change an activity before it ends; the capacity never below those already signed up."""
    values = validate(ActivityInput, data)
    with transaction.atomic():
        a = Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)
        _need(user, a.unit)
        if a.cancelled_at is not None or a.ends_at <= timezone.now():
            raise InvalidTransition(_("已取消或已结束的活动不能修改。"))
        if values["capacity"] < a.signed_up:
            msg = _("已有%(n)d人报名，人数上限不能少于%(n)d。") % {"n": a.signed_up}
            raise ActionInvalid(msg, {"capacity": [msg]})
        changed = {k: str(getattr(a, k)) for k, v in values.items() if getattr(a, k) != v}
        for k, v in values.items():
            setattr(a, k, v)
        a.save(update_fields=list(values))
        _audit("edit", user, a, changed=sorted(changed))
    return a


class CancelInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=200)


def cancel_activity(user: Any, activity: Activity, data: Any) -> Activity:
    """Call an activity off (with a reason) before anyone has checked in."""
    values = validate(CancelInput, data)
    with transaction.atomic():
        a = Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)
        _need(user, a.unit)
        if a.cancelled_at is not None:
            raise InvalidTransition(_("活动已取消。"))
        if a.signups.filter(checked_in_at__isnull=False).exists():
            raise InvalidTransition(_("已有志愿者签到，不能取消活动。"))
        a.cancelled_at = timezone.now()
        a.cancel_reason = values["reason"].strip()
        a.save(update_fields=["cancelled_at", "cancel_reason"])
        _audit("cancel", user, a, reason=a.cancel_reason)
    return a


def check_in(user: Any, signup: SignUp) -> SignUp:
    with transaction.atomic():
        s = SignUp.objects.select_for_update().select_related("activity__unit").get(pk=signup.pk)
        _need(user, s.activity.unit)
        if s.cancelled_at is not None:
            raise InvalidTransition(_("报名已取消，不能签到。"))
        if s.activity.cancelled_at is not None:
            raise InvalidTransition(_("活动已取消，不能签到。"))
        if s.checked_in_at is None:
            s.checked_in_at = timezone.now()
            s.save(update_fields=["checked_in_at"])
            _audit("checkin", user, s)
    return s


def check_out(user: Any, signup: SignUp) -> SignUp:
    """Sign out, count the minutes and credit the points (once, whatever the number of taps)."""
    with transaction.atomic():
        s = SignUp.objects.select_for_update().select_related("activity__unit").get(pk=signup.pk)
        a = s.activity
        _need(user, a.unit)
        if s.checked_in_at is None:
            raise InvalidTransition(_("尚未签到，不能签退。"))
        if s.checked_out_at is None:
            s.checked_out_at = timezone.now()
            start = max(s.checked_in_at, a.starts_at)
            end = min(s.checked_out_at, a.ends_at)
            s.minutes = max(0, int((end - start).total_seconds() // 60))
            s.save(update_fields=["checked_out_at", "minutes"])
            _audit("checkout", user, s, minutes=s.minutes)
        points = s.minutes * a.points_per_hour // 60
        if points > 0:
            PointsEntry.objects.get_or_create(
                source=f"signup:{s.pk}",
                defaults={"volunteer_id": s.volunteer_id, "delta": points, "reason": a.title, "actor": user},
            )
    return s


def balance(volunteer: Volunteer) -> int:
    """The balance, recomputed from the ledger."""
    return int(PointsEntry.objects.filter(volunteer=volunteer).aggregate(s=Sum("delta"))["s"] or 0)


def redeem(user: Any, reward: Reward, volunteer: Volunteer) -> Redemption:
    """Redeem one item: by staff at the counter (``user``: handed over at once) or asked for by the
    volunteer on the portal (``user`` None: 待领取 until staff confirm the hand-over)."""
    with transaction.atomic():
        r = Reward.objects.select_for_update().select_related("village").get(pk=reward.pk)
        if user is not None:
            _need(user, r.village)
        Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()  # one redemption per person at a time
        if r.village_id != volunteer.village_id:
            raise ActionInvalid(_("只能在本村（社区）的道德超市兑换。"))
        if r.stock <= 0:
            raise InvalidTransition(_("%(name)s已兑完。") % {"name": r.name})
        if balance(volunteer) < r.cost:
            raise InvalidTransition(_("积分不足。"))
        r.stock -= 1
        r.save(update_fields=["stock"])
        now = timezone.now()
        red = Redemption.objects.create(
            reward=r,
            volunteer=volunteer,
            cost=r.cost,
            by=user,
            status=RedemptionStatus.DONE if user is not None else RedemptionStatus.REQUESTED,
            settled_at=now if user is not None else None,
            settled_by=user,
        )
        PointsEntry.objects.create(
            volunteer=volunteer, delta=-r.cost, source=f"redeem:{red.pk}", reason=r.name, actor=user
        )
        _audit("redeem", user, red, cost=r.cost)
    return red


def settle_redemption(user: Any, redemption: Redemption, give: bool) -> Redemption:
    """Staff hand the item over (``give``) or cancel the request: the item goes back on the shelf and
    the points back to the volunteer by a new ledger line ("unredeem:<id>")."""
    with transaction.atomic():
        red = Redemption.objects.select_for_update().select_related("reward__village").get(pk=redemption.pk)
        _need(user, red.reward.village)
        if red.status != RedemptionStatus.REQUESTED:
            raise InvalidTransition(_("该兑换已办结。"))
        red.status = RedemptionStatus.DONE if give else RedemptionStatus.CANCELLED
        red.settled_at = timezone.now()
        red.settled_by = user
        red.save(update_fields=["status", "settled_at", "settled_by"])
        if not give:
            r = Reward.objects.select_for_update().get(pk=red.reward_id)
            r.stock += 1
            r.save(update_fields=["stock"])
            PointsEntry.objects.create(
                volunteer_id=red.volunteer_id,
                delta=red.cost,
                source=f"unredeem:{red.pk}",
                reason=_("撤销兑换：%(name)s") % {"name": r.name},
                actor=user,
            )
        _audit("redeem_give" if give else "redeem_cancel", user, red)
    return red


class RewardInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=60)
    cost = serializers.IntegerField(min_value=1, max_value=100000)
    stock = serializers.IntegerField(min_value=0, max_value=100000)


def add_reward(user: Any, village: Unit, data: Any) -> Reward:
    if village.kind != UnitKind.VILLAGE:
        raise ActionInvalid(_("道德超市按村（社区）设立。"), {"village": [_("请选择村（社区）。")]})
    _need(user, village)
    values = validate(RewardInput, data)
    with transaction.atomic():
        r = Reward.objects.create(village=village, village_path=village.path, **values)
        _audit("reward_add", user, r, **values)
    return r


def edit_reward(user: Any, reward: Reward, data: Any) -> Reward:
    """Change an item's name, points or stock (a restock sets the new stock on the shelf)."""
    values = validate(RewardInput, data)
    with transaction.atomic():
        r = Reward.objects.select_for_update().select_related("village").get(pk=reward.pk)
        _need(user, r.village)
        before = {k: getattr(r, k) for k in values}
        for k, v in values.items():
            setattr(r, k, v)
        r.save(update_fields=list(values))
        _audit("reward_edit", user, r, before=before, after=values)
    return r


def hours(volunteer: Volunteer) -> float:
    m = SignUp.objects.filter(volunteer=volunteer).aggregate(m=Sum("minutes"))["m"] or 0
    return round(m / 60, 1)


def ledger_check(volunteer: Volunteer) -> dict[str, Any]:
    """Recompute what the ledger should hold from the sign-ups and redemptions, line by line: each
    checked-out sign-up earns its points once, each redemption costs its points once, each cancelled
    one gives them back once. Returns the expected and recorded totals and the lines that differ."""
    expected: dict[str, int] = {}
    for s in SignUp.objects.filter(volunteer=volunteer, checked_out_at__isnull=False).select_related("activity"):
        pts = s.minutes * s.activity.points_per_hour // 60
        if pts > 0:
            expected[f"signup:{s.pk}"] = pts
    for red in Redemption.objects.filter(volunteer=volunteer):
        expected[f"redeem:{red.pk}"] = -red.cost
        if red.status == RedemptionStatus.CANCELLED:
            expected[f"unredeem:{red.pk}"] = red.cost
    recorded = {e.source: e.delta for e in PointsEntry.objects.filter(volunteer=volunteer)}
    known = ("signup:", "redeem:", "unredeem:")
    diffs = [
        {"source": k, "expected": expected.get(k), "recorded": recorded.get(k)}
        for k in sorted(set(expected) | {k for k in recorded if k.startswith(known)})
        if expected.get(k) != recorded.get(k)
    ]
    other = sum(v for k, v in recorded.items() if not k.startswith(known))  # manual lines, if any
    return {
        "expected": sum(expected.values()) + other,
        "recorded": sum(recorded.values()),
        "differences": diffs,
        "ok": not diffs,
    }


def ranking(village: Unit, limit: int = 20) -> list[tuple[Volunteer, int]]:
    """Volunteers of a village by points earned (credits only; spending does not lower one's rank)."""
    rows = (
        PointsEntry.objects.filter(volunteer__village=village, delta__gt=0)
        .values("volunteer")
        .annotate(s=Sum("delta"))
        .order_by("-s")[:limit]
    )
    by_id = {v.pk: v for v in Volunteer.objects.filter(pk__in=[r["volunteer"] for r in rows])}
    return [(by_id[r["volunteer"]], int(r["s"])) for r in rows]
