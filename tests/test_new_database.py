"""A new SQLite database is created from the SQL its migrations produce (new_database), and is
then the very database the migrations would have made."""

import sqlite3
import subprocess
import sys

import pytest

from cheeseshop.new_database import SNAPSHOT, create_from, dump, migrated_dump
from tests.e2e.conftest import index_env, run_cli


def test_the_shipped_sql_is_what_the_migrations_write_today():
    assert migrated_dump() == SNAPSHOT.read_text(encoding="utf-8"), (
        "a migration changed the new database: run `python -m cheeseshop.new_database --write`"
    )


def test_a_database_started_from_it_is_the_migrated_one_and_lacks_nothing(tmp_path):
    env = index_env(tmp_path / "data")

    output = run_cli(env, "migrate", "--summary")

    assert "applied" in output
    database = tmp_path / "data" / "cheeseshop.sqlite3"
    started = tmp_path / "started.sqlite3"
    with sqlite3.connect(database) as source, sqlite3.connect(started) as copy:
        source.backup(copy)
        # What `cheeseshop migrate` adds once the migrations are in: this node's key.
        copy.execute("DELETE FROM accounts_secretkeyfingerprint")
    assert dump(started) == SNAPSHOT.read_text(encoding="utf-8")
    run_cli(env, "migrate", "--check")  # nothing pending
    assert "no problem found" in run_cli(env, "check")


def test_each_applied_migration_has_the_time_it_was_applied(tmp_path):
    run_cli(index_env(tmp_path / "data"), "migrate")

    database = sqlite3.connect(tmp_path / "data" / "cheeseshop.sqlite3")
    times = {row[0] for row in database.execute("SELECT applied FROM django_migrations")}
    database.close()
    assert len(times) == 1
    assert not times.pop().startswith("2000-")


def test_a_database_that_has_tables_is_migrated_never_replaced(tmp_path):
    env = index_env(tmp_path / "data")
    run_cli(env, "migrate")
    run_cli(env, "user", "create", "ursula", "--email", "ursula@example.com")

    run_cli(env, "migrate")

    database = sqlite3.connect(tmp_path / "data" / "cheeseshop.sqlite3")
    users = [row[0] for row in database.execute("SELECT username FROM accounts_user")]
    database.close()
    assert users == ["ursula"]


def _tables(database: sqlite3.Connection) -> list[str]:
    return [row[0] for row in database.execute("SELECT name FROM sqlite_master")]


def _damaged(statement: str) -> str:
    """The shipped SQL with ``statement`` added in the middle of its transaction."""
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    return "\n".join([*lines[:-1], statement, lines[-1]]) + "\n"


def test_sql_that_breaks_a_foreign_key_leaves_nothing_behind(tmp_path):
    database = sqlite3.connect(tmp_path / "new.sqlite3", isolation_level=None)
    orphan = "INSERT INTO account_emailaddress VALUES(1, 1, 1, 999, 'x@example.com');"

    with pytest.raises(ValueError, match="foreign keys"):
        create_from(database, _damaged(orphan))

    assert _tables(database) == []
    assert database.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_sql_that_fails_halfway_leaves_nothing_behind(tmp_path):
    database = sqlite3.connect(tmp_path / "new.sqlite3", isolation_level=None)

    with pytest.raises(sqlite3.OperationalError):
        create_from(database, _damaged("INSERT INTO no_such_table VALUES(1);"))

    assert _tables(database) == []


def test_sql_that_is_not_one_transaction_is_refused_unrun(tmp_path):
    database = sqlite3.connect(tmp_path / "new.sqlite3", isolation_level=None)

    with pytest.raises(ValueError, match="one transaction"):
        create_from(database, "CREATE TABLE t (x);")

    assert _tables(database) == []


def test_a_damaged_snapshot_gives_way_to_the_migrations(tmp_path):
    damaged = tmp_path / "damaged.sql"
    damaged.write_text(_damaged("INSERT INTO no_such_table VALUES(1);"), encoding="utf-8")
    code = (
        "import django, sys; django.setup()\n"
        "from cheeseshop import console, new_database\n"
        f"new_database.SNAPSHOT = new_database.Path({str(damaged)!r})\n"
        "console.migrate()\n"
    )
    env = {**index_env(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "cheeseshop.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert "applying the migrations instead" in result.stderr
    run_cli(index_env(tmp_path / "data"), "migrate", "--check")  # nothing pending
