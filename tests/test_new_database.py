"""A new SQLite database is created from the SQL its migrations produce (new_database), and is
then the very database the migrations would have made."""

import sqlite3

from cheeseshop.new_database import SNAPSHOT, dump, migrated_dump
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
