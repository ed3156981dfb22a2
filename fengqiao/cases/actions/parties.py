"""登记/更正当事人: a party added to a case after intake (several applicants or respondents), or a
party's details corrected. The event and the audit row name the party masked and list the fields
changed, never their values (those stay encrypted on the party row)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import inputs
from fengqiao.cases.actions.base import ActionInvalid, Ctx, action
from fengqiao.cases.choices import PartyKind, PartyRole
from fengqiao.cases.models import Party

MAX_PARTIES = 50
FIELDS = ("role", "kind", "name", "phone", "id_number", "address", "vulnerable")


@action("edit_party", _("登记/更正当事人"), inputs.PartyEditInput)
def _edit_party(ctx: Ctx) -> None:
    c, data = ctx.case, ctx.data
    changes = {k: data[k] for k in FIELDS if k in data}
    pk = data.get("party")
    if pk:
        party = Party.objects.filter(case=c, pk=pk).first()
        if party is None:
            raise ActionInvalid(gettext("该案件没有这个当事人。"), {"party": [gettext("不是本案当事人。")]})
        changed = sorted(k for k, v in changes.items() if getattr(party, k) != v)
        if not changed:
            raise ActionInvalid(gettext("没有需要更正的内容。"), {"party": [gettext("请填写需要更正的项目。")]})
        if party.role == PartyRole.APPLICANT and changes.get("role", party.role) != PartyRole.APPLICANT:
            others = c.parties.filter(role=PartyRole.APPLICANT).exclude(pk=party.pk)
            if not c.anonymous and not others.exists():
                raise ActionInvalid(gettext("案件须至少有一名申请人。"), {"role": [gettext("这是唯一的申请人。")]})
        for k in changed:
            setattr(party, k, changes[k])
        party.save()
        created = False
    else:
        if not changes.get("name"):
            raise ActionInvalid(
                gettext("请填写当事人姓名或名称。"), {"name": [gettext("新增当事人须填写姓名或名称。")]}
            )
        if c.parties.count() >= MAX_PARTIES:
            raise ActionInvalid(gettext("当事人不能超过50个。"))
        changes.setdefault("role", PartyRole.APPLICANT)
        changes.setdefault("kind", PartyKind.PERSON)
        party = Party.objects.create(case=c, **changes)
        changed = sorted(k for k in changes if k not in ("role", "kind"))
        created = True
    ctx.reason = data["reason"]
    ctx.event_data = {
        "party": party.pk,
        "party_role": party.role,
        "party_name": party.masked_name,
        "party_fields": changed,
        "new_party": created,
    }
