"""A new SQLite database starts from the SQL its migrations produce, shipped with the code.

Applying every migration to an empty database takes Django about two seconds (it renders the
models' state again for each of ~80 migrations), most of a first ``cheeseshop serve``'s start.
``data/new-database.sql`` holds what those migrations leave in a new SQLite database — schema,
the rows migrations create and the rows Django adds after migrating (content types,
permissions), and the list of applied migrations — written by running them (``python -m
cheeseshop.new_database --write``; a test fails while it differs from a fresh run). A database
with no table yet is created from it in one transaction; ``migrate`` then applies whatever
migration is newer than the file, as for any database.
"""

import argparse
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "data" / "new-database.sql"

logger = logging.getLogger(__name__)


def start_from_snapshot() -> bool:
    """Create this process's SQLite database from the snapshot if it has no table yet; whether
    it did (a snapshot that fails leaves the database empty, for the migrations)."""
    from django.db import connection

    if connection.vendor != "sqlite" or not SNAPSHOT.exists():
        return False
    if connection.introspection.table_names():
        return False
    connection.ensure_connection()
    try:
        create_from(connection.connection, SNAPSHOT.read_text(encoding="utf-8"))
    except (ValueError, sqlite3.Error) as error:  # a damaged installation: slower, not broken
        logger.warning("%s not used (%s): applying the migrations instead", SNAPSHOT, error)
        return False
    return True


def create_from(database: sqlite3.Connection, sql: str) -> None:
    """Run a dump (``BEGIN TRANSACTION; ... COMMIT;``) on ``database`` as one transaction that
    commits only once the foreign keys are checked and the migrations' times set: on any
    error, nothing of it is left. (Its tables come in alphabetical order, some rows before the
    table their key names: foreign keys are checked once it is all there.)"""
    body = sql.rstrip()
    if not (body.startswith("BEGIN TRANSACTION;") and body.endswith("COMMIT;")):
        raise ValueError("not a dump of one transaction (BEGIN TRANSACTION; ... COMMIT;)")
    database.execute("PRAGMA foreign_keys = OFF")  # (not changeable inside a transaction)
    try:
        database.executescript(body.removesuffix("COMMIT;"))  # leaves its transaction open
        problems = database.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise ValueError(f"the new database would break foreign keys: {problems[:3]}")
        database.execute("UPDATE django_migrations SET applied = CURRENT_TIMESTAMP")
        database.execute("COMMIT")
    except BaseException:
        if database.in_transaction:
            database.execute("ROLLBACK")
        raise
    finally:
        database.execute("PRAGMA foreign_keys = ON")


def dump(database: Path) -> str:
    """The SQL that recreates ``database``, with the migrations' times left out (they are the
    time of each start, written then)."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("UPDATE django_migrations SET applied = '2000-01-01 00:00:00'")
        return "\n".join(connection.iterdump()) + "\n"
    finally:
        connection.close()


def migrated_dump() -> str:
    """Every migration applied to a new SQLite database (in a child process, whose settings
    name it), as SQL."""
    from cheeseshop.settings import sqlite_environment

    with tempfile.TemporaryDirectory(prefix="cheeseshop-new-database-") as directory:
        database = Path(directory) / "new.sqlite3"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cheeseshop.settings",
            **sqlite_environment(Path(directory) / "data", database),
        }
        subprocess.run(
            [sys.executable, "-m", "cheeseshop.cli", "manage", "migrate", "--verbosity", "0"],
            env=env,
            check=True,
        )
        return dump(database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {SNAPSHOT}")
    args = parser.parse_args(argv)
    sql = migrated_dump()
    if args.write:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(sql, encoding="utf-8")
    else:
        sys.stdout.write(sql)
    return 0


if __name__ == "__main__":
    sys.exit(main())
