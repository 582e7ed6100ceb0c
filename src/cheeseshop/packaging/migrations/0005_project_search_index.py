"""Indexes for project search on PostgreSQL (cheeseshop.web.search): full-text search over
release summaries and trigram matching of project names, where SQLite's fallback reads every row.
Nothing happens on SQLite. pg_trgm is a trusted extension: the database's owner may create it.

The summary index's expression is the one search builds (SearchVector on ``summary``, English
configuration): PostgreSQL uses an expression index only for the very same expression."""

from django.db import migrations

SEARCH_CONFIG = "english"
SUMMARY_INDEX = "packaging_release_summary_search"
NAME_INDEX = "packaging_project_name_trigram"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    Release = apps.get_model("packaging", "Release")
    Project = apps.get_model("packaging", "Project")
    schema_editor.add_index(
        Release, GinIndex(SearchVector("summary", config=SEARCH_CONFIG), name=SUMMARY_INDEX)
    )
    schema_editor.add_index(
        Project, GinIndex(fields=["normalized_name"], opclasses=["gin_trgm_ops"], name=NAME_INDEX)
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SUMMARY_INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("packaging", "0004_release_description_html"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
