"""`cheeseshop check`, `cheeseshop --version`, and any command on a broken configuration: one
line per problem, no traceback, exit status 1. Each runs the real command."""

import os
import socket
import subprocess
import sys

import pytest
from django.core import checks

from cheeseshop.operations.checks import missing_extras, system_check_errors
from tests.conftest import fresh_settings


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cheeseshop(tmp_path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")
    env.update({f"CHEESESHOP_{name}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "cheeseshop.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line_failure(result: subprocess.CompletedProcess) -> str:
    """The one problem a failed command reported (warnings aside)."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    return line


def test_version_prints_the_installed_version(tmp_path):
    from cheeseshop.operations.version import installed_version

    result = cheeseshop(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout == f"cheeseshop {installed_version()}\n"


def test_pending_migrations_are_a_warning(tmp_path):
    result = cheeseshop(tmp_path, "check")
    assert "Traceback" not in result.stderr
    assert "migrations not applied yet" in result.stderr


def test_a_working_configuration_passes(tmp_path):
    assert cheeseshop(tmp_path, "migrate").returncode == 0
    result = cheeseshop(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "cheeseshop check: no problem found\n"


def problem_of(result: subprocess.CompletedProcess, probe: str) -> str:
    """The line of one probe in a failed check (others fail with it: the queue is in the
    same database)."""
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith(f"{probe} ")]
    return line


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    port = closed_port()
    result = cheeseshop(
        tmp_path, "check", DATABASE_URL=f"postgresql://bob:hunter2@127.0.0.1:{port}/index"
    )
    assert problem_of(result, "database") == (
        f"database postgresql://bob@127.0.0.1:{port}/index unreachable: connection refused"
    )


def test_any_command_on_an_unreachable_database_says_so_in_one_line(tmp_path):
    port = closed_port()
    result = cheeseshop(
        tmp_path,
        "token",
        "list",
        "alice",
        DATABASE_URL=f"postgresql://bob:hunter2@127.0.0.1:{port}/index",
    )
    line = one_line_failure(result)
    assert line == (
        f"cheeseshop: database postgresql://bob@127.0.0.1:{port}/index unreachable: "
        "connection refused"
    )


def test_serve_on_an_unreachable_database_stops_without_a_traceback(tmp_path):
    port = closed_port()
    result = cheeseshop(
        tmp_path,
        "serve",
        "--port",
        str(closed_port()),
        DATABASE_URL=f"postgresql://bob:hunter2@127.0.0.1:{port}/index",
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"database postgresql://bob@127.0.0.1:{port}/index unreachable" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("WEB_WORKERS", "many", "CHEESESHOP_WEB_WORKERS must be an integer, not 'many'"),
        ("HTTPS", "maybe", "CHEESESHOP_HTTPS must be true or false, not 'maybe'"),
        ("LOG_FORMAT", "xml", "CHEESESHOP_LOG_FORMAT must be text or json, not 'xml'"),
        ("DATABASE_URL", "oracle2://db/x", "CHEESESHOP_DATABASE_URL: "),
    ],
)
def test_a_setting_that_does_not_parse_is_its_one_line_message(tmp_path, setting, value, message):
    assert one_line_failure(cheeseshop(tmp_path, "check", **{setting: value})).startswith(message)


def test_a_bad_setting_stops_any_command_in_one_line(tmp_path):
    result = cheeseshop(tmp_path, "token", "list", "x", WEB_WORKERS="many")
    assert result.returncode == 1  # a configuration error, as `check` reports one
    assert result.stderr == "cheeseshop: CHEESESHOP_WEB_WORKERS must be an integer, not 'many'\n"


def test_an_unknown_cache_scheme_is_named(tmp_path):
    line = one_line_failure(cheeseshop(tmp_path, "check", CACHE_URL="memcached://cache:11211"))
    assert line.startswith("CHEESESHOP_CACHE_URL must start with one of locmem://, redis://")


def test_a_node_whose_secret_key_the_other_nodes_do_not_use_fails_the_check(tmp_path):
    migrated = cheeseshop(tmp_path, "migrate", SECRET_KEY="the-key-of-the-cluster-" + "k" * 30)
    assert migrated.returncode == 0, migrated.stderr
    line = one_line_failure(cheeseshop(tmp_path, "check", SECRET_KEY="another-key-" + "x" * 40))
    assert line.startswith("accounts.E002: this node's secret key is not the one recorded")


def test_an_unreachable_redis_cache_is_named(tmp_path):
    port = closed_port()
    result = cheeseshop(
        tmp_path,
        "check",
        CACHE_URL=f"redis://:pw@127.0.0.1:{port}/4",
        RATELIMIT_STORAGE="database://",
    )
    line = problem_of(result, "cache")
    assert line.startswith(f"cache redis://127.0.0.1:{port}/4 unreachable: ")
    assert "pw" not in line


def test_a_missing_database_driver_names_the_extra_to_install(monkeypatch):
    monkeypatch.setenv("CHEESESHOP_DATABASE_URL", "postgresql://bob@db/index")
    settings = fresh_settings()
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    assert missing_extras(settings) == [
        "CHEESESHOP_DATABASE_URL names a PostgreSQL database, which needs psycopg: "
        "install cheeseshop[postgres]"
    ]


def test_missing_redis_and_s3_libraries_name_their_extras(monkeypatch):
    monkeypatch.setenv("CHEESESHOP_CACHE_URL", "redis://cache:6379/0")
    monkeypatch.setenv("CHEESESHOP_FILES_STORAGE", "storages.backends.s3.S3Storage")
    settings = fresh_settings()
    for module in ("redis", "boto3"):
        monkeypatch.setitem(sys.modules, module, None)
    problems = missing_extras(settings)
    assert any("CHEESESHOP_CACHE_URL" in p and "cheeseshop[redis]" in p for p in problems)
    assert any("needs boto3: install cheeseshop[s3]" in p for p in problems)


def test_a_system_check_error_is_one_line_with_its_id():
    def broken(app_configs, **kwargs):
        return [checks.Error("the flux capacitor is\nmissing", id="tests.E001")]

    checks.register(broken)
    try:
        assert "tests.E001: the flux capacitor is missing" in system_check_errors()
    finally:
        checks.registry.registry.registered_checks.discard(broken)
