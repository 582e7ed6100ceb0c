"""Migration 0004 renders the descriptions of releases uploaded before it, within the budget."""

import pytest

from tests.databases import migrate, migrate_to_latest
from tests.packaging.hostile_descriptions import nested_rst_list

BEFORE = [("packaging", "0003_verbose_names")]
AFTER = [("packaging", "0004_release_description_html")]


@pytest.mark.django_db(transaction=True)
def test_existing_descriptions_are_rendered_and_stored_by_the_migration():
    old_apps = migrate(BEFORE)
    try:
        project = old_apps.get_model("packaging", "Project").objects.create(
            name="old", normalized_name="old", ultranormalized_name="old", last_serial=1
        )
        Release = old_apps.get_model("packaging", "Release")
        for version, description, content_type in [
            ("1", "# Old", "text/markdown"),
            ("2", nested_rst_list(), ""),
            ("3", "", ""),
        ]:
            Release.objects.create(
                project=project,
                version=version,
                canonical_version=version,
                is_prerelease=False,
                metadata_version="2.4",
                description=description,
                description_content_type=content_type,
            )
        new_apps = migrate(AFTER)
        html = dict(
            new_apps.get_model("packaging", "Release").objects.values_list(
                "version", "description_html"
            )
        )
        assert '<h3 id="user-content-old">Old</h3>' in html["1"]
        assert html["2"].startswith("- item<br>")
        assert html["3"] == ""
    finally:
        migrate_to_latest()
