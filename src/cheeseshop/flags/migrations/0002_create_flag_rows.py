"""Every admin flag has its row from the start, disabled, so the admin lists all of them."""

from django.db import migrations

FLAG_IDS = [
    "read-only",
    "disallow-new-upload",
    "disallow-new-project-registration",
    "disallow-new-user-registration",
]


def create_flag_rows(apps, schema_editor):
    AdminFlag = apps.get_model("flags", "AdminFlag")
    for flag_id in FLAG_IDS:
        AdminFlag.objects.get_or_create(id=flag_id, defaults={"enabled": False})


class Migration(migrations.Migration):
    dependencies = [("flags", "0001_initial")]

    operations = [migrations.RunPython(create_flag_rows, migrations.RunPython.noop)]
