from django.db import migrations


def forwards(apps, schema_editor):
    from fengqiao.supervision.calendar import seed_days

    seed_days(apps.get_model("supervision", "CalendarDay"))
    Policy = apps.get_model("supervision", "DeadlinePolicy")
    defaults = [
        dict(name="默认时限（绿≤7天、黄>7天、红>14天）", unit="calendar", accept_hours=24, contact_hours=72,
             complete_days=15, yellow_after_days=7, red_after_days=14, priority=0),
        dict(name="诉前调解（30日，经当事人同意可延长一次）", channel="court", unit="calendar", accept_hours=24,
             contact_hours=72, complete_days=30, yellow_after_days=20, red_after_days=30, extendable_days=30,
             priority=10),
        dict(name="12345热线工单（工作日）", channel="hotline", unit="working", accept_hours=24, contact_hours=24,
             complete_days=10, yellow_after_days=5, red_after_days=10, priority=5),
    ]
    for d in defaults:
        Policy.objects.get_or_create(name=d["name"], defaults=d)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_calendarday_instruction_reminded_at_deadlinepolicy")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
