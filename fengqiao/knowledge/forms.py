"""Forms of the knowledge pages. Errors in plain Chinese under their own field."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Category, Domain
from fengqiao.knowledge.choices import AidMatter, ArticleKind, ArticleState, Audience, ExemplaryState
from fengqiao.portal.forms import PhoneStep

REQUIRED = {"required": _("请填写此项。")}
ID_NUMBER = re.compile(r"^\d{17}[\dXx]$")


def leaf_categories() -> list[tuple[str, str]]:
    return [
        (c.code, str(c)) for c in Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")
    ]


class AskForm(forms.Form):
    q = forms.CharField(label=_("您遇到了什么事？"), max_length=500, required=False)


class PrefillForm(forms.Form):
    q = forms.CharField(max_length=500)
    category = forms.CharField(max_length=16, required=False)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100, error_messages=REQUIRED)
    slug = forms.CharField(
        label=_("网址名"),
        max_length=80,
        required=False,
        help_text=_("小写字母、数字和连字符，如 wage-arrears；保存后不能修改。"),
    )
    kind = forms.ChoiceField(label=_("类别"), choices=ArticleKind.choices)
    audience = forms.ChoiceField(label=_("公开范围"), choices=Audience.choices)
    summary = forms.CharField(label=_("摘要"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    body = forms.CharField(
        label=_("正文"), max_length=20000, widget=forms.Textarea(attrs={"rows": 12}), error_messages=REQUIRED
    )
    keywords = forms.CharField(
        label=_("关键词"), max_length=300, required=False, help_text=_("群众常用的说法，用空格或顿号分隔。")
    )
    office = forms.CharField(label=_("办理部门"), max_length=200, required=False)
    materials = forms.CharField(
        label=_("所需材料（每行一项）"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    fees = forms.CharField(label=_("收费标准"), max_length=300, required=False)
    steps = forms.CharField(
        label=_("办理流程（每行一步）"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    categories = forms.MultipleChoiceField(
        label=_("纠纷类型"), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    domains = forms.MultipleChoiceField(label=_("业务领域"), required=False, widget=forms.CheckboxSelectMultiple)
    review_due = forms.DateField(
        label=_("复核日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为 2026-12-31。")},
    )
    note = forms.CharField(label=_("修改说明"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = Category.objects.filter(is_active=True).select_related("parent")
        self.fields["categories"].choices = [(c.code, str(c)) for c in categories]  # type: ignore[attr-defined]
        self.fields["domains"].choices = [(d.code, d.name) for d in Domain.objects.filter(is_active=True)]  # type: ignore[attr-defined]
        if editing:
            self.fields["slug"].disabled = True


class ArticleFilter(forms.Form):
    q = forms.CharField(label=_("标题或关键词"), max_length=60, required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *list(ArticleState.choices)])
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部")), *list(ArticleKind.choices)])


class ExemplaryForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100, error_messages=REQUIRED)
    category = forms.ChoiceField(label=_("纠纷类型"), required=False)
    keywords = forms.CharField(label=_("关键词"), max_length=300, required=False)
    facts = forms.CharField(
        label=_("基本情况"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages=REQUIRED,
        help_text=_("不写真实姓名、电话、门牌号，用“张某”“某村”代替。"),
    )
    resolution = forms.CharField(
        label=_("化解过程与结果"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}), error_messages=REQUIRED
    )
    takeaway = forms.CharField(label=_("要点提示"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("不限")), *leaf_categories()]  # type: ignore[attr-defined]


class LibraryFilter(forms.Form):
    q = forms.CharField(label=_("关键词"), max_length=60, required=False)
    type = forms.ChoiceField(label=_("纠纷类型"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("全部类型")), *leaf_categories()]  # type: ignore[attr-defined]


class LegalAidForm(PhoneStep):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    website = forms.CharField(required=False, label=_("网址（请勿填写）"))  # honeypot
    name = forms.CharField(label=_("申请人姓名"), max_length=30, error_messages=REQUIRED)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18, error_messages=REQUIRED)
    matter = forms.ChoiceField(
        label=_("申请援助的事项"),
        choices=[("", _("请选择")), *list(AidMatter.choices)],
        error_messages={"required": _("请选择援助事项。")},
    )
    description = forms.CharField(
        label=_("事情经过和您的请求"),
        max_length=5000,
        min_length=20,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={**REQUIRED, "min_length": _("请至少写20个字，说明发生了什么、您想要什么结果。")},
    )
    opponent = forms.CharField(label=_("对方姓名或单位（可不填）"), max_length=60, required=False)
    address_text = forms.CharField(label=_("居住地址"), max_length=200, required=False)
    household_size = forms.IntegerField(
        label=_("共同生活的家庭人口"),
        min_value=1,
        max_value=20,
        error_messages={
            **REQUIRED,
            "min_value": _("至少1人。"),
            "max_value": _("请填写实际人数（不超过20）。"),
            "invalid": _("请填写数字。"),
        },
    )
    monthly_income = forms.DecimalField(
        label=_("家庭月收入合计（元）"),
        min_value=Decimal(0),
        max_value=Decimal(10_000_000),
        decimal_places=2,
        error_messages={
            **REQUIRED,
            "min_value": _("不能为负数。"),
            "invalid": _("请填写数字，如 2500。"),
            "max_decimal_places": _("最多两位小数。"),
        },
    )
    hardship = forms.CharField(
        label=_("其他困难情形（可不填）"),
        max_length=300,
        required=False,
        help_text=_("如：低保户、残疾、遭受家庭暴力、农民工讨薪等。"),
    )
    income_statement = forms.FileField(
        label=_("经济困难状况说明"),
        error_messages={"required": _("请上传经济困难状况说明（照片或PDF）。")},
        help_text=_("收入证明、低保证或本人签字的困难情况说明，JPEG/PNG/WEBP 图片或 PDF，不超过10MB。"),
    )
    consent = forms.BooleanField(
        label=_("我已阅读并同意个人信息说明，保证所填情况属实"), error_messages={"required": _("请阅读并勾选同意。")}
    )

    def clean_id_number(self) -> str:
        from fengqiao.core.validators import id_number_check_char

        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        if not ID_NUMBER.match(value) or id_number_check_char(value[:17]) != value[17]:
            raise forms.ValidationError(_("身份证号码有误，请核对18位号码。"))
        return value

    def clean_phone(self) -> str:
        value = super().clean_phone()
        if not value:
            raise forms.ValidationError(_("请填写手机号码，用于接收办理进度。"))
        return value


class ExemplaryStateFilter(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", _("全部")), *list(ExemplaryState.choices)])
