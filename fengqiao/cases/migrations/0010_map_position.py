"""The map position copied onto the case (own point, else the standard address's), backfilled in one
UPDATE before its index is built: the map's cell layer then reads no address join."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Case = apps.get_model("cases", "Case")
    Address = apps.get_model("org", "StandardAddress")
    addr = Address.objects.filter(pk=OuterRef("standard_address_id"))
    Case.objects.update(
        map_lat=Coalesce("lat", Subquery(addr.values("lat")[:1])),
        map_lon=Coalesce("lon", Subquery(addr.values("lon")[:1])),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_alter_caseevent_data'),
        ('org', '0001_initial'),
        ('supervision', '0004_accountabilityrecord_reversecheck'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='map_lat',
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='case',
            name='map_lon',
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['map_lat', 'map_lon'], name='case_map_position'),
        ),
    ]
