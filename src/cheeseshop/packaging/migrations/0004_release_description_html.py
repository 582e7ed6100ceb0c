"""Release.description_html: the description rendered once, at upload, and shown by the pages
(they rendered it on every first view before, which a hostile description made cost seconds).
Existing releases are rendered here, each within the same time budget as an upload."""

from django.db import migrations, models

from cheeseshop.packaging.descriptions import render_description


def render_existing_descriptions(apps, schema_editor):
    Release = apps.get_model("packaging", "Release")
    releases = Release.objects.exclude(description="").only(
        "pk", "description", "description_content_type"
    )
    for release in releases.iterator():
        rendered = render_description(release.description, release.description_content_type)
        Release.objects.filter(pk=release.pk).update(description_html=rendered.html)


class Migration(migrations.Migration):
    dependencies = [
        ("packaging", "0003_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="release",
            name="description_html",
            field=models.TextField(blank=True, verbose_name="description as HTML"),
        ),
        migrations.RunPython(render_existing_descriptions, migrations.RunPython.noop),
    ]
