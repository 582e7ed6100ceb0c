"""The `cheeseshop` command, run as users run it: a subprocess on its own data directory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHEESESHOP = str(Path(sys.executable).parent / "cheeseshop")


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str, input: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [CHEESESHOP, *args],
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    run.data_dir = tmp_path / "data"
    return run


def test_help_lists_commands_and_settings(run):
    result = run("--help")
    assert result.returncode == 0
    for word in (
        "serve",
        "user",
        "token",
        "manage",
        "CHEESESHOP_DATA_DIR",
        "CHEESESHOP_DATABASE_URL",
    ):
        assert word in result.stdout


def test_token_create_prints_only_the_token(run):
    assert run("user", "create", "alice", "--email", "alice@example.com").returncode == 0
    result = run("token", "create", "alice", "--description", "ci")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pypi-")
    # the data directory now holds the generated secret key, private to its owner
    assert (run.data_dir / "secret_key").stat().st_mode & 0o077 == 0


def test_user_create_refuses_a_duplicate_username(run):
    assert run("user", "create", "bob", "--email", "bob@example.com").returncode == 0
    result = run("user", "create", "BOB", "--email", "other@example.com")
    assert result.returncode == 1
    assert "already exists" in result.stderr


def test_user_create_refuses_an_email_in_use(run):
    assert run("user", "create", "carol", "--email", "carol@example.com").returncode == 0
    result = run("user", "create", "carol2", "--email", "Carol@example.com")
    assert result.returncode == 1
    assert "already in use" in result.stderr


def test_user_create_reads_a_password_from_stdin(run):
    result = run(
        "user",
        "create",
        "dave",
        "--email",
        "d@example.com",
        "--admin",
        "--password-stdin",
        input="correct horse battery staple\n",
    )
    assert result.returncode == 0, result.stderr
    check = run(
        "manage",
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from cheeseshop.accounts.models import User; u = User.objects.get(username='dave'); "
        "print(u.check_password('correct horse battery staple'), u.is_staff)",
    )
    assert check.stdout.split() == ["True", "True"]


def test_password_stdin_without_a_password_is_an_error(run):
    result = run("user", "create", "erin", "--email", "e@example.com", "--password-stdin")
    assert result.returncode == 2
    assert "no password" in result.stderr


def test_token_create_for_an_unknown_user_is_an_error(run):
    result = run("token", "create", "nobody")
    assert result.returncode == 1
    assert "no user named 'nobody'" in result.stderr
    assert result.stdout == ""


def test_manage_passes_through_to_django(run):
    result = run("manage", "check")
    assert result.returncode == 0
    assert "no issues" in result.stdout
