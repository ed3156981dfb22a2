from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.evaluation.models import FigureKind
from fengqiao.org.models import Unit


class SupervisionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("督办单位"), queryset=Unit.objects.none())
    reason = forms.CharField(label=_("督办事由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("整改期限"), widget=forms.DateInput(attrs={"type": "date"}))
    period = forms.CharField(label=_("考评期间"), max_length=24, required=False)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class FollowForm(forms.Form):
    text = forms.CharField(label=_("整改进展"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    conclusion = forms.CharField(label=_("销号意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class FigureForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("指标"), choices=FigureKind.choices)
    period = forms.CharField(label=_("期间"), max_length=7, help_text=_("人口按年填 2026，诉讼和走访按月填 2026-11"))
    value = forms.IntegerField(label=_("数值"), min_value=0)

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class StarForm(forms.Form):
    code = forms.CharField(label=_("案件编码"), max_length=20)
    reason = forms.CharField(label=_("加星理由"), max_length=200)


class ReportForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    period = forms.CharField(label=_("月份"), max_length=7, help_text=_("如 2026-11"))

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
