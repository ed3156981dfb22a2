"""Small Django forms of the staff pages (sign-in, second factor, reveal, upload, intake).

Case changes never go through a Django form's save(): the action layer validates them with the
serializers of :mod:`fengqiao.cases.inputs`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import AttachmentKind

# What the staff upload offers in the file picker (the server decides by content: cases/uploads.py).
ACCEPT = (
    "image/jpeg,image/png,image/webp,application/pdf,.docx,.xlsx,"
    "audio/mpeg,audio/mp4,audio/x-m4a,audio/wav,audio/amr,.mp3,.m4a,.wav,.amr,.3gp"
)


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("动态验证码"),
        regex=r"^\s*\d{6,8}\s*$",
        error_messages={"invalid": _("请输入身份验证器上显示的6位数字。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"\d{6,8}", "maxlength": "8"}
        )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看理由"),
        min_length=4,
        max_length=200,
        help_text=_("查看完整个人信息将被记录审计，10分钟内有效。"),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("选择文件"),
        help_text=_(
            "支持图片（JPEG、PNG、WEBP）、PDF、Word/Excel 文档（.docx、.xlsx）和录音（MP3、M4A、WAV、AMR）；录音不超过30MB，其余不超过10MB。"
        ),
    )
    kind = forms.ChoiceField(label=_("材料类别"), choices=AttachmentKind.choices, initial=AttachmentKind.EVIDENCE)
    public = forms.BooleanField(label=_("群众可见"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ACCEPT})
