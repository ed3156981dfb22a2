"""Citizen forms. Error messages are plain Chinese; phone numbers are checked like everywhere else."""

from __future__ import annotations

import re
import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from fengqiao.cases import codes
from fengqiao.cases.choices import Satisfaction
from fengqiao.cases.models import Category
from fengqiao.core import limits
from fengqiao.core.validators import validate_phone

REQUIRED = {"required": "请填写此项。"}
# Django's own "确保该变量包含不超过 N 字符" reads like a machine; these say what to do.
TOO_LONG = {"max_length": "最多 %(limit_value)d 字，您写了 %(show_value)d 字，请精简后再提交（您写的内容已保留）。"}
MAX_FILES = 5
MAX_FILE_BYTES = 10 * 1024 * 1024


def limit_widgets(form: forms.Form) -> None:
    """State each text field's limit for the counter script instead of the browser's ``maxlength``
    (which cuts a paste silently), give it a plain "too long" message, and mark file inputs with
    the upload limits; a refused text comes back whole (up to :data:`limits.ECHO_MAX`)."""
    for field in form.fields.values():
        if isinstance(field, MultiFileField):
            field.widget.attrs.update({"data-maxbytes": str(MAX_FILE_BYTES), "data-maxfiles": str(MAX_FILES)})
        elif isinstance(field, forms.CharField) and field.max_length and not field.widget.is_hidden:
            field.error_messages = {**field.error_messages, **TOO_LONG}
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.pop("maxlength", None)
                field.widget.attrs["data-maxchars"] = str(field.max_length)
    if form.is_bound:
        data = form.data.copy()  # type: ignore[attr-defined]
        for name in form.fields:
            value = data.get(name)
            if isinstance(value, str) and len(value) > limits.ECHO_MAX:
                data[name] = limits.echo(value)
        form.data = data


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiFileField(forms.FileField):
    widget = MultiFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultiFileField, self).clean(d, initial) for d in items]


def clean_phone(value: str) -> str:
    value = (value or "").replace(" ", "").replace("-", "").removeprefix("+86")
    if not re.fullmatch(r"1[3-9]\d{9}", value):
        raise ValidationError("请输入11位手机号码，例如 13812345678。")
    validate_phone(value)
    return value


_CHOICES: dict[str, Any] = {"at": 0.0, "value": None}
CHOICES_TTL = 60.0  # seconds; the type list changes rarely (admin edits show within a minute)


def category_choices() -> list[Any]:
    """The dispute types for the select, grouped by domain; kept per process for a minute (two
    queries saved on every form, the submit path included)."""
    now = time.monotonic()
    cached = _CHOICES["value"]
    if cached is not None and now - _CHOICES["at"] < CHOICES_TTL:
        return list(cached)
    out: list[Any] = [("", "不清楚，请工作人员判断")]
    level1 = Category.objects.filter(parent=None, is_active=True).prefetch_related("children")
    for top in level1:
        children = [(c.code, c.name) for c in top.children.all() if c.is_active]
        if children:
            out.append((top.name, children))
    _CHOICES.update(at=now, value=out)
    return list(out)


TITLE_MAX = 30


def derive_title(text: str) -> str:
    """The first sentence of the description; a longer one is cut at its last pause (，、：) within
    30 characters, or else marked as cut ("…"), never mid-phrase without a sign ("…建筑材料和")."""
    text = " ".join((text or "").split())
    first = re.split(r"[。！？!?；;]", text, maxsplit=1)[0].strip() or text
    if len(first) <= TITLE_MAX:
        return first
    cut = max(first.rfind(p, 0, TITLE_MAX + 1) for p in "，,、：: ")
    if cut >= 8:
        return first[:cut]
    return first[: TITLE_MAX - 1] + "…"


class PhoneStep(forms.Form):
    """Phone + SMS code, shared by the submit, find and "my cases" forms."""

    phone = forms.CharField(label="手机号码", max_length=20, required=False)
    sms_code = forms.CharField(label="短信验证码", max_length=6, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["sms_code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "one-time-code"})

    def clean_phone(self) -> str:
        value = self.cleaned_data.get("phone", "")
        if not value:
            return ""
        return clean_phone(value)


class SubmitForm(PhoneStep):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    unit = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    website = forms.CharField(required=False, label="网址（请勿填写）")  # honeypot
    description = forms.CharField(
        label="请说说发生了什么事",
        max_length=5000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={**REQUIRED, "min_length": "请至少写10个字，说清楚是什么事。"},
    )
    title = forms.CharField(label="一句话概括（可不填）", max_length=60, required=False)
    category = forms.ChoiceField(label="事情类型（可不选）", required=False)
    address_text = forms.CharField(label="发生地点", max_length=200, required=False)
    people_count = forms.IntegerField(
        label="大约涉及多少人（可不填）",
        min_value=1,
        max_value=100000,
        required=False,
        error_messages={
            "invalid": "请填写数字，例如 12。",
            "min_value": "人数至少为 1。",
            "max_value": "人数不能超过 100000。",
        },
    )
    name = forms.CharField(label="您的称呼", max_length=30, required=False)
    respondent_name = forms.CharField(label="对方姓名或单位（可不填）", max_length=60, required=False)
    respondent_phone = forms.CharField(label="对方电话（可不填）", max_length=20, required=False)
    anonymous = forms.BooleanField(label="匿名反映（不留姓名和电话，无法短信通知您）", required=False)
    materials = MultiFileField(label="照片或材料（可不传）", required=False)
    consent = forms.BooleanField(
        label="我已阅读并同意个人信息说明", error_messages={"required": "请阅读并勾选同意个人信息说明。"}
    )

    def __init__(self, *args: Any, allow_anonymous: bool = False, has_unit: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.allow_anonymous = allow_anonymous
        self.has_unit = has_unit
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        if not allow_anonymous:
            del self.fields["anonymous"]
        self.fields["title"].widget.attrs.pop("maxlength", None)
        self.fields["title"].widget.attrs["data-maxchars"] = "60"
        limit_widgets(self)

    def clean_respondent_phone(self) -> str:
        value = (self.cleaned_data.get("respondent_phone") or "").replace(" ", "")
        if value:
            try:
                validate_phone(value)
            except ValidationError:
                raise ValidationError("对方电话格式不对，不清楚可以不填。") from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        anonymous = self.allow_anonymous and data.get("anonymous")
        if not anonymous and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "请填写手机号码，用于接收验证码和办理进度。")
        if not self.has_unit and not (data.get("address_text") or "").strip():
            self.add_error("address_text", "请写明事情发生的地点，例如：白塔镇白塔村3组。")
        if len(data.get("materials") or []) > MAX_FILES:
            self.add_error("materials", f"一次最多上传{MAX_FILES}个文件。")
        return data


class FindForm(PhoneStep):
    code = forms.CharField(label="事项编号", max_length=20, error_messages=REQUIRED)

    def clean_code(self) -> str:
        raw = self.cleaned_data["code"]
        if not codes.is_valid(raw):
            raise ValidationError("编号不正确，请核对回执上的12位编号。")
        return codes.normalise(raw)


class NoteForm(forms.Form):
    text = forms.CharField(label="补充说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    materials = MultiFileField(label="补充材料（照片或PDF）", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_widgets(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("materials"):
            raise ValidationError("请填写补充说明或选择要上传的材料。")
        if len(data.get("materials") or []) > MAX_FILES:
            self.add_error("materials", f"一次最多上传{MAX_FILES}个文件。")
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因（可不填）", max_length=500, required=False)
    confirm = forms.BooleanField(label="我确认撤回，撤回后不再办理", error_messages={"required": "请勾选确认撤回。"})


YES_NO = [("yes", "是"), ("no", "否")]


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label="您对办理结果满意吗？",
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意程度。"},
    )
    matter_settled = forms.ChoiceField(label="事情解决了吗？", choices=YES_NO, widget=forms.RadioSelect, required=False)
    grievance_settled = forms.ChoiceField(
        label="心里的疙瘩解开了吗？", choices=YES_NO, widget=forms.RadioSelect, required=False
    )
    comment = forms.CharField(
        label="想说的话（可不填）", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reopen = forms.BooleanField(label="不满意，申请重新办理", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reopen") and data.get("satisfaction") != Satisfaction.UNSATISFIED:
            self.add_error("reopen", "只有选择“不满意”时才能申请重新办理。")
        return data

    def action_data(self) -> dict[str, Any]:
        d = self.cleaned_data

        def yn(v: str) -> bool | None:
            return {"yes": True, "no": False}.get(v or "")

        return {
            "satisfaction": d["satisfaction"],
            "matter_settled": yn(d.get("matter_settled", "")),
            "grievance_settled": yn(d.get("grievance_settled", "")),
            "comment": d.get("comment", ""),
        }
