"""Databases in tests: a PostgreSQL database of a test's own, on the server of
``CHEESESHOP_TEST_DATABASE_URL``; the test database migrated to given migrations (data
migrations' tests)."""

import uuid


def new_postgresql_database(
    base_url: str, prefix: str, cleanups: list, template: str | None = None
) -> str:
    """A new database (a copy of ``template`` if given) on ``base_url``'s server, dropped by the
    cleanup appended to ``cleanups``; its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')

    def drop():
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    cleanups.append(drop)
    return base_url.rsplit("/", 1)[0] + "/" + name


def migrate(targets: list[tuple[str, str]]):
    """The test database migrated (forwards or backwards) to ``targets``; the apps registry of
    the models as they were there, for a data migration's test to fill and read."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    """Every app's migrations applied, as the tests after a data migration's test expect."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
