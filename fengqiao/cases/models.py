"""The case (一事一码), its parties, attachments and events (the timeline)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import codes
from fengqiao.cases.choices import (
    AttachmentKind,
    Channel,
    Colour,
    Level,
    PartyKind,
    PartyRole,
    Priority,
    Referral,
    Risk,
    Satisfaction,
)
from fengqiao.cases.workflow import OPEN_STATES, RUNNING_STATES, State
from fengqiao.core import crypto
from fengqiao.core.fields import DocumentJSONField, EncryptedTextField
from fengqiao.core.labels import choice_label
from fengqiao.org.models import StandardAddress, Unit


class Category(models.Model):
    """Dispute type: a two-level taxonomy (level 1 follows the national mediation statistics)."""

    code = models.CharField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级类型"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("纠纷类型")
        verbose_name_plural = _("纠纷类型")

    def __str__(self) -> str:
        return f"{self.parent.name}/{self.name}" if self.parent_id and self.parent else self.name

    @property
    def level(self) -> int:
        return 2 if self.parent_id else 1


class Domain(models.Model):
    """Responsible domain for requests that are not disputes (城乡建设, 环境保护 …)."""

    code = models.CharField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("业务领域")
        verbose_name_plural = _("业务领域")

    def __str__(self) -> str:
        return self.name


def _new_code() -> str:
    return codes.new_code()


def _new_secret() -> str:
    return secrets.token_urlsafe(24)


DATE_FIELDS = ("created_at", "accepted_at", "due_at", "resolved_at", "closed_at")


class Case(models.Model):
    code = models.CharField(_("案件编码"), max_length=12, unique=True, default=_new_code, editable=False)
    tracking_secret = models.CharField(max_length=64, default=_new_secret, editable=False)
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("事项描述"), max_length=5000)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("纠纷类型"),
    )
    domain = models.ForeignKey(
        Domain,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("业务领域"),
    )
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    source_system = models.CharField(_("来源系统"), max_length=40, blank=True)
    external_ref = models.CharField(_("外部编号"), max_length=80, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)

    address_text = models.CharField(_("地址"), max_length=200, blank=True)
    standard_address = models.ForeignKey(
        StandardAddress,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("标准地址"),
    )
    location_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("属地")
    )
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lon = models.FloatField(_("经度"), null=True, blank=True)
    # The map position: the case's own point, else its standard address's (per coordinate), copied when
    # the case is saved with a new address or point (``fill_position``) so the map reads no join.
    map_lat = models.FloatField(null=True, blank=True, editable=False)
    map_lon = models.FloatField(null=True, blank=True, editable=False)

    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    risk = models.CharField(_("风险等级"), max_length=8, choices=Risk.choices, default=Risk.LOW)
    people_count = models.PositiveIntegerField(_("涉及人数"), default=1)

    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REGISTERED)
    paused_from = models.CharField(max_length=16, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    level = models.PositiveSmallIntegerField(_("响应等级"), choices=Level.choices, default=Level.BLUE)
    colour = models.CharField(_("督办颜色"), max_length=8, choices=Colour.choices, default=Colour.GREEN)

    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="owned_cases", verbose_name=_("责任单位")
    )
    owner_path = models.CharField(max_length=255, editable=False, db_index=True)
    pending_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pending_cases",
        verbose_name=_("待接收单位"),
    )
    pending_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    dispatched_from = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("交办单位")
    )
    lead_unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
        verbose_name=_("牵头单位"),
    )
    lead_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    location_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
        verbose_name=_("承办人"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )

    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    received_at = models.DateTimeField(
        _("收到时间"), null=True, blank=True, help_text=_("来源系统或网格员最初收到该事项的时间（应录未录核查）")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    #: registered, its triage step (case.triage, 分流完成) not yet recorded: the work list of the triage
    #: drain (a partial index holds only these rows); cleared in the same UPDATE that records the step
    triage_pending = models.BooleanField(_("待分流"), default=False, editable=False)
    accept_due = models.DateTimeField(_("受理时限"), null=True, blank=True)
    contact_due = models.DateTimeField(_("首次联系时限"), null=True, blank=True)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("转黄码时间"), null=True, blank=True)
    red_at = models.DateTimeField(_("转红码时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("中止时间"), null=True, blank=True)
    deadline_policy = models.ForeignKey(
        "supervision.DeadlinePolicy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("时限规则"),
    )
    reminded_accept_at = models.DateTimeField(_("受理时限提醒"), null=True, blank=True, editable=False)
    reminded_contact_at = models.DateTimeField(_("联系时限提醒"), null=True, blank=True, editable=False)
    reminded_due_at = models.DateTimeField(_("办结时限提醒"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("化解时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    agreement = models.BooleanField(_("达成书面协议"), null=True, blank=True)
    matter_settled = models.BooleanField(_("事了"), null=True, blank=True)
    grievance_settled = models.BooleanField(_("心结已解"), null=True, blank=True)
    result_summary = models.TextField(_("处理结果"), blank=True, max_length=2000)
    referral = models.CharField(_("转介途径"), max_length=16, choices=Referral.choices, blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("并入案件"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="case_unique_external_ref",
            )
        ]
        indexes = [
            models.Index(fields=["owner_path", "-created_at"], name="case_owner_created"),
            models.Index(fields=["state", "-created_at"], name="case_state_created"),
            models.Index(fields=["handler", "state"], name="case_handler_state"),
            models.Index(fields=["colour", "yellow_at"], name="case_colour_yellow"),
            models.Index(fields=["colour", "red_at"], name="case_colour_red"),
            models.Index(fields=["state", "due_at"], name="case_state_due"),
            models.Index(fields=["reminded_accept_at", "accept_due"], name="case_remind_accept"),
            models.Index(fields=["reminded_contact_at", "contact_due"], name="case_remind_contact"),
            models.Index(fields=["reminded_due_at", "due_at"], name="case_remind_due"),
            models.Index(fields=["map_lat", "map_lon"], name="case_map_position"),
            models.Index(fields=["id"], condition=models.Q(triage_pending=True), name="case_triage_pending"),
        ]

    _db_dates: dict[str, Any] | None = None  # DATE_FIELDS as loaded from the database (from_db)
    _position_source: tuple[Any, Any, Any] | None = None  # (address, lat, lon) the map position was copied from

    # Columns a list of cases does not show: lists defer them (less to load and convert per row).
    LIST_DEFERRED = (
        "description",
        "tracking_secret",
        "address_text",
        "result_summary",
        "received_at",
        "updated_at",
        "accept_due",
        "contact_due",
        "paused_at",
        "accepted_at",
        "first_contact_at",
        "resolved_at",
        "closed_at",
        "reminded_accept_at",
        "reminded_contact_at",
        "reminded_due_at",
    )

    def __str__(self) -> str:
        return f"{self.display_code} {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_paths()
        super().save(*args, **kwargs)

    def fill_paths(self) -> None:
        """Copy the units' tree paths onto the row (the scope filters are index range scans on them);
        called by ``save`` and before a bulk insert."""
        if self.owner_unit_id:
            self.owner_path = self.owner_unit.path
        self.pending_path = self.pending_unit.path if self.pending_unit_id and self.pending_unit else ""
        self.lead_path = self.lead_unit.path if self.lead_unit_id and self.lead_unit else ""
        self.location_path = self.location_unit.path if self.location_unit_id and self.location_unit else ""
        source = (self.standard_address_id, self.lat, self.lon)
        if getattr(self, "_position_source", None) != source:
            self.fill_position()
            self._position_source = source

    def fill_position(self) -> None:
        """Copy the map position: the case's own point, else its standard address's."""
        addr = self.standard_address if self.standard_address_id else None
        self.map_lat = self.lat if self.lat is not None else (addr.lat if addr else None)
        self.map_lon = self.lon if self.lon is not None else (addr.lon if addr else None)

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> Case:  # type: ignore[override]
        case = super().from_db(db, field_names, values, **kwargs)
        d = case.__dict__
        # The dates as loaded: receivers of pre_save (evaluation's sums) compare them without a query.
        case._db_dates = {f: d[f] for f in DATE_FIELDS if f in d}
        if "standard_address_id" in d and "lat" in d and "lon" in d:  # unchanged since loaded: nothing to copy
            case._position_source = (d["standard_address_id"], d["lat"], d["lon"])
        return case

    @property
    def display_code(self) -> str:
        return codes.display(self.code)

    # Cached labels (fengqiao.core.labels) instead of Django's per-call rebuild of the choices dict.
    def get_state_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(State, self.state)

    def get_colour_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Colour, self.colour)

    def get_level_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Level, self.level)

    def get_channel_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Channel, self.channel)

    def get_risk_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Risk, self.risk)

    def get_priority_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Priority, self.priority)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Past its deadline while its clock runs (open and not paused)."""
        return self.state in RUNNING_STATES and self.due_at is not None and self.due_at < (now or timezone.now())

    def computed_colour(self, now: dt.datetime | None = None) -> str:
        """The colour the case has now: green, yellow after ``yellow_at``, red after ``red_at``
        (defaults from report 000: yellow after 7 days, red after 14, red at the deadline). The sweep
        stores it in ``colour`` and pushes the change; a paused case keeps its colour."""
        if not self.is_open or self.state == State.PAUSED:
            return self.colour
        now = now or timezone.now()
        if self.red_at is not None and now >= self.red_at:
            return Colour.RED
        if self.yellow_at is not None and now >= self.yellow_at:
            return Colour.YELLOW if self.colour != Colour.RED else Colour.RED
        return self.colour


class Party(models.Model):
    """A party of a case. Name, phone, ID number and address are encrypted at rest; phone and ID
    number are also stored as keyed hashes so all cases of a person can be found."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties", verbose_name=_("案件"))
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices)
    kind = models.CharField(_("类别"), max_length=8, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = EncryptedTextField(_("姓名/名称"), blank=True, default="")
    phone = EncryptedTextField(_("电话"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedTextField(_("证件号码"), blank=True, default="")
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = EncryptedTextField(_("住址"), blank=True, default="")
    vulnerable = models.BooleanField(_("弱势群体"), default=False)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self) -> str:
        return f"{self.get_role_display()} {crypto.mask_name(self.name)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_hash = crypto.search_hash(self.phone) if self.phone else ""
        self.id_hash = crypto.search_hash(self.id_number, "id") if self.id_number else ""
        super().save(*args, **kwargs)

    @property
    def masked_name(self) -> str:
        return crypto.mask_name(self.name) if self.kind == PartyKind.PERSON else self.name

    @property
    def masked_phone(self) -> str:
        return crypto.mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return crypto.mask_id_number(self.id_number)


class CaseUnit(models.Model):
    """An assisting unit of a multi-unit case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assisting", verbose_name=_("案件"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assisting_cases", verbose_name=_("协办单位"))
    unit_path = models.CharField(max_length=255, db_index=True, editable=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        unique_together = [("case", "unit")]
        verbose_name = _("协办单位")
        verbose_name_plural = _("协办单位")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.unit_path = self.unit.path
        super().save(*args, **kwargs)


def attachment_path(instance: Attachment, filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()[:8]
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{secrets.token_hex(16)}{ext}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("案件"))
    kind = models.CharField(_("类别"), max_length=12, choices=AttachmentKind.choices, default=AttachmentKind.EVIDENCE)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    public = models.BooleanField(_("群众可见"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.original_name


class CaseEvent(models.Model):
    """One step of a case's history. The timeline is the list of these; display text is rendered
    from ``code`` at read time, never stored translated."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("案件"))
    code = models.CharField(_("事件"), max_length=40, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_role = models.CharField(max_length=20, blank=True)
    actor_unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作单位")
    )
    via = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    state_before = models.CharField(max_length=16, blank=True)
    state_after = models.CharField(max_length=16, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(_("理由/说明"), blank=True, max_length=4000)
    data = DocumentJSONField(default=dict, blank=True)
    public = models.BooleanField(_("群众可见"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("案件事件")
        verbose_name_plural = _("案件事件")
        indexes = [models.Index(fields=["case", "at"], name="event_case_at")]

    def __str__(self) -> str:
        return f"{self.code} @ {self.at:%Y-%m-%d %H:%M}"


class RevealGrant(models.Model):
    """A time-limited permission to see one case's personal data in full, with its reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "user", "expires_at"])]
