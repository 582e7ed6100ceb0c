"""PostgreSQL databases of a test's own, on the server of ``CHEESESHOP_TEST_DATABASE_URL``."""

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
