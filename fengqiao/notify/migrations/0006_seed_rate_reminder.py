from django.db import migrations

CODE = "portal.rate_reminder"
TEXT = "【枫桥】您的事项{code}已办理3天，还没有收到您的评价。满意不满意都请告诉我们，不满意可申请重新办理：{link}"


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    MessageTemplate.objects.get_or_create(event_code=CODE, defaults={"name": "rate_reminder", "text": TEXT})


def unseed(apps, schema_editor):
    apps.get_model("notify", "MessageTemplate").objects.filter(event_code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("notify", "0005_seed_message_templates")]
    operations = [migrations.RunPython(seed, unseed)]
