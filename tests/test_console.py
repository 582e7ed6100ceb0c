"""Migrations run once: `cheeseshop migrate` applies what the database lacks and prints it;
nodes starting at once wait for each other under a database lock instead of one failing; on a
shared database the other commands say to run it instead of migrating on their own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cheeseshop.console import language_from_environment, shipped_languages
from tests.e2e.conftest import _database_env

BIN = Path(sys.executable).parent


@pytest.fixture
def empty_database(tmp_path) -> dict:
    """The environment of a node on an empty database: a fresh PostgreSQL database when the
    suite runs on PostgreSQL, else SQLite in the data directory."""
    cleanups: list = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")
    env["CHEESESHOP_SECRET_KEY"] = "the-shared-secret-key-of-these-nodes-" + "k" * 20
    env.update(_database_env(cleanups))
    yield env
    for cleanup in reversed(cleanups):
        cleanup()


def cheeseshop(env: dict, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "cheeseshop"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def finished(process: subprocess.Popen) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=180)
    return process.returncode, stdout, stderr


def test_two_nodes_migrating_an_empty_database_at_once_both_succeed_and_apply_each_once(
    empty_database,
):
    first, second = (cheeseshop(empty_database, "migrate") for _ in range(2))
    results = [finished(first), finished(second)]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    applied = [
        line.removeprefix("applied ")
        for _, stdout, _ in results
        for line in stdout.splitlines()
        if line.startswith("applied ")
    ]
    assert "accounts.0007_secret_key_fingerprint" in applied
    assert len(applied) == len(set(applied))  # no migration applied twice
    assert all("Traceback" not in stderr for _, _, stderr in results)
    assert finished(cheeseshop(empty_database, "migrate", "--check"))[0] == 0
    code, stdout, _ = finished(cheeseshop(empty_database, "migrate"))
    assert (code, stdout) == (0, "the database is up to date: no migrations to apply\n")


def test_migrate_check_refuses_while_migrations_are_pending(empty_database):
    code, stdout, stderr = finished(cheeseshop(empty_database, "migrate", "--check"))
    assert code == 1
    assert stderr.startswith("error: the database lacks ")
    assert stderr.strip().endswith("run `cheeseshop migrate`")
    assert len(stderr.splitlines()) == 1
    assert stdout == ""


def test_a_command_on_a_shared_database_says_to_migrate_instead_of_migrating(empty_database):
    create = ("user", "create", "alice", "--email", "alice@example.com")
    code, _, stderr = finished(cheeseshop(empty_database, *create))
    if "CHEESESHOP_DATABASE_URL" not in empty_database:
        assert code == 0, stderr  # one machine's SQLite: migrated on the way, as always
        return
    assert code == 1
    assert stderr.strip().endswith("run `cheeseshop migrate`")
    assert finished(cheeseshop(empty_database, "migrate", "--check"))[0] == 1  # left alone
    assert finished(cheeseshop(empty_database, "migrate"))[0] == 0
    assert finished(cheeseshop(empty_database, *create))[0] == 0


def test_migrate_summary_says_in_one_line_what_it_applied_and_nothing_when_nothing(
    empty_database,
):
    code, stdout, _ = finished(cheeseshop(empty_database, "migrate", "--summary"))
    [applied, recorded] = stdout.splitlines()
    assert code == 0
    assert applied.startswith("applied ")
    assert "migrations, " in applied
    assert recorded.startswith("recorded this node's secret key")
    assert finished(cheeseshop(empty_database, "migrate", "--summary"))[:2] == (0, "")


# --- the language of the commands -------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({}, "en"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "de_AT.UTF-8@euro"}, "de"),
        ({"LANG": "pt_BR.UTF-8"}, "pt-br"),
        ({"LANG": "pt_PT.UTF-8"}, "pt-br"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "it_IT.UTF-8"}, "en"),
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, "ja"),
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LC_ALL": "es_ES.UTF-8"}, "es"),
        ({"LANG": "en_GB.UTF-8", "LANGUAGE": "it:uk:fr"}, "uk"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "fr"}, "en"),
        ({"LC_ALL": "POSIX", "LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_commands_speak_the_shipped_language_nearest_the_environments(environment, language):
    assert language_from_environment(environment) == language


def test_the_commands_ship_the_languages_the_site_does(settings):
    assert sorted(shipped_languages()) == sorted(code for code, _name in settings.LANGUAGES)
