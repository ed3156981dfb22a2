from django.db import migrations

# A frozen copy of the seed wording (fengqiao.notify.templates.DEFAULTS at the time of writing).
SEED = {
    "case.register": ("registered", "【枫桥】您反映的事项「{title}」已登记，编号{code}，可凭编号查询进度：{link}"),
    "case.accept": ("accepted", "【枫桥】您的事项{code}已由{unit}受理，我们会尽快办理。"),
    "case.assign_person": ("assigned", "【枫桥】您的事项{code}已安排{unit}的{handler}办理，工作人员将与您联系。"),
    "case.record_session": ("session", "【枫桥】您的事项{code}已安排调解，请留意工作人员的通知。进度：{link}"),
    "case.resolve": ("resolved", "【枫桥】您的事项{code}已化解。请对办理情况进行评价：{link}"),
    "case.refer": ("referred", "【枫桥】您的事项{code}已引导通过其他途径解决，详情请查看：{link}"),
    "case.close": ("closed", "【枫桥】您的事项{code}已办结。请为我们的工作评价：{link}"),
    "case.reopen": ("reopened", "【枫桥】您的事项{code}已重新办理，{unit}将继续跟进。"),
}


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    for code, (name, text) in SEED.items():
        MessageTemplate.objects.get_or_create(event_code=code, defaults={"name": name, "text": text})


def unseed(apps, schema_editor):
    apps.get_model("notify", "MessageTemplate").objects.filter(event_code__in=list(SEED)).delete()


class Migration(migrations.Migration):
    dependencies = [("notify", "0004_messagetemplate")]
    operations = [migrations.RunPython(seed, unseed)]
