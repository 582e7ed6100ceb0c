"""``cheeseshop audit verify`` and ``cheeseshop audit expire``, run as operators run them: the
command in a subprocess, on its own data directory (SQLite)."""

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHEESESHOP = str(Path(sys.executable).parent / "cheeseshop")


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CHEESESHOP, *args],
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def python(code: str) -> subprocess.CompletedProcess:
        """Run ``code`` with Django set up on the same data directory."""
        prelude = (
            "import django, os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'cheeseshop.settings'\n"
        )
        prelude += "django.setup()\n"
        result = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(code)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result

    run.python = python
    run.database = tmp_path / "data" / "cheeseshop.sqlite3"
    return run


def create_users(run, *names: str) -> None:
    for name in names:
        result = run("user", "create", name, "--email", f"{name}@example.com")
        assert result.returncode == 0, result.stderr


def test_verify_reports_an_intact_chain_with_its_count_and_head(run):
    create_users(run, "alice", "bob", "carol")
    result = run("audit", "verify")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "chain intact: 3 events (sequence 1 to 3)"
    with sqlite3.connect(run.database) as db:
        (head,) = db.execute("SELECT chain_hash FROM audit_event WHERE sequence = 3").fetchone()
    assert lines[1] == f"head: {head}"


def test_verify_on_an_empty_trail_is_intact(run):
    assert run("manage", "migrate", "-v", "0").returncode == 0
    result = run("audit", "verify")
    assert (result.returncode, result.stdout) == (0, "chain intact: 0 events\n")


def test_verify_fails_and_names_an_event_changed_by_direct_sql(run):
    create_users(run, "alice", "bob", "carol")
    with sqlite3.connect(run.database) as db:
        (event_id,) = db.execute("SELECT id FROM audit_event WHERE sequence = 2").fetchone()
        db.execute(
            'UPDATE audit_event SET additional = \'{"by": "someone else"}\' WHERE id = ?',
            [event_id],
        )
    result = run("audit", "verify")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"chain broken at event {event_id} (sequence 2): the event was changed after it was "
        "recorded: its chain hash does not match its content and the previous event's hash",
        "1 events before it are intact",
    ]


def test_verify_fails_and_names_the_event_after_a_deleted_one(run):
    create_users(run, "alice", "bob", "carol")
    with sqlite3.connect(run.database) as db:
        db.execute("DELETE FROM audit_event WHERE sequence = 2")
        (event_id,) = db.execute("SELECT id FROM audit_event WHERE sequence = 3").fetchone()
    result = run("audit", "verify")
    assert result.returncode == 1
    assert f"chain broken at event {event_id} (sequence 3)" in result.stderr
    assert "the sequence jumps from 1 to 3: events are missing" in result.stderr


def test_expire_with_the_default_retention_removes_nothing(run):
    create_users(run, "alice")
    result = run("audit", "expire")
    assert result.returncode == 0, result.stderr
    assert "keep forever" in result.stdout
    assert run("audit", "verify").stdout.startswith("chain intact: 1 events")


def record_old_events(run, count: int, days_ago: int) -> None:
    run.python(
        f"""
        from datetime import timedelta
        from unittest import mock
        from django.utils import timezone
        from cheeseshop.audit.services import CLI, record_event
        long_ago = timezone.now() - timedelta(days={days_ago})
        with mock.patch("cheeseshop.audit.chain.timezone.now", return_value=long_ago):
            for _ in range({count}):
                record_event("account:logout", credential=CLI)
        """
    )


def test_expire_removes_old_events_records_it_and_verify_still_passes(run):
    assert run("manage", "migrate", "-v", "0").returncode == 0
    record_old_events(run, 2, days_ago=100)
    create_users(run, "bob")

    result = run("audit", "expire", "--days", "30")

    assert result.returncode == 0, result.stderr
    with sqlite3.connect(run.database) as db:
        rows = db.execute("SELECT id, tag, sequence FROM audit_event ORDER BY sequence").fetchall()
    assert [row[1:] for row in rows] == [("account:create", 3), ("audit:expire", 4)]
    assert result.stdout == (
        f"removed 2 events older than 30 days (sequence 1 to 2); recorded as event {rows[1][0]}\n"
    )
    verify = run("audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("chain intact: 2 events (sequence 3 to 4)")


def test_expire_applies_the_retention_setting(run):
    assert run("manage", "migrate", "-v", "0").returncode == 0
    record_old_events(run, 3, days_ago=10)
    create_users(run, "bob")
    retention = {"CHEESESHOP_AUDIT_RETENTION_DAYS": "7"}

    result = run("audit", "expire", extra_env=retention)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("removed 3 events older than 7 days (sequence 1 to 3)")
    assert run("audit", "verify").returncode == 0


def test_expire_with_days_given_and_nothing_old_removes_nothing(run):
    create_users(run, "alice")
    result = run("audit", "expire", "--days", "7")
    assert (result.returncode, result.stdout) == (
        0,
        "no event is older than 7 days: none removed\n",
    )


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_expire_refuses_a_bad_number_of_days(run, days):
    result = run("audit", "expire", "--days", days)
    assert result.returncode == 2
    assert "--days" in result.stderr


def test_audit_needs_an_action(run):
    result = run("audit")
    assert result.returncode == 2
    assert "the following arguments are required: ACTION" in result.stderr
