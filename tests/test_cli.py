"""The `cheeseshop` command, run as users run it: a subprocess on its own data directory."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cheeseshop.console import LANGUAGE_VARIABLES
from tests.malware.plugins import MARKER_CHECKS, install_plugin

CHEESESHOP = str(Path(sys.executable).parent / "cheeseshop")


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")
    # The commands speak the environment's language: English here, unless a test says.
    for name in LANGUAGE_VARIABLES:
        env.pop(name, None)

    def run(*args: str, input: str = "", settings=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [CHEESESHOP, *args],
            env={**env, **(settings or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    run.data_dir = tmp_path / "data"
    run.env = env
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
    assert run("user", "create", "alice", "--email", "alice@example.com", "--totp").returncode == 0
    result = run("token", "create", "alice", "--description", "ci")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pypi-")
    # the data directory now holds the generated secret key, private to its owner
    assert (run.data_dir / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "scope", [[], ["--project", "alpha"]], ids=["account-wide", "one-project"]
)
def test_token_create_refuses_a_user_without_two_factor(run, scope):
    assert run("user", "create", "kim", "--email", "k@example.com").returncode == 0
    make_project_for(run, "kim", "alpha")
    result = run("token", "create", "kim", "--description", "ci", *scope)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: User 'kim' does not have two-factor authentication enabled, which creating API "
        "tokens requires. Enable two-factor authentication at /account/2fa/ and try again.\n"
    )
    assert token_table(run, "kim")[1:] == []


def test_token_create_for_a_user_without_two_factor_works_with_the_policy_off(run):
    assert run("user", "create", "lee", "--email", "l@example.com").returncode == 0
    policy_off = {"CHEESESHOP_MANAGE_REQUIRES_2FA": "false"}
    result = run("token", "create", "lee", "--description", "ci", settings=policy_off)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pypi-")


@pytest.mark.parametrize(
    "username", ["\u0430lice", "\uff41\uff4c\uff49\uff43\uff45", "al\u0131ce", "alice."]
)
def test_user_create_refuses_a_username_outside_the_ascii_rule(run, username):
    result = run("user", "create", username, "--email", "alice@example.com")
    assert result.returncode == 1
    assert result.stderr == (
        "error: Enter a username of ASCII letters and digits, with '.', '_' or '-' between "
        "them: it must start and end with a letter or a digit.\n"
    )


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


def _trusted_uploader(run, username: str) -> str:
    return run(
        "manage",
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from cheeseshop.accounts.models import User; "
        f"print(User.objects.get(username='{username}').is_trusted_uploader)",
    ).stdout.strip()


def test_users_the_operator_creates_are_trusted_uploaders_unless_told_otherwise(run):
    assert run("user", "create", "ci", "--email", "ci@example.com").returncode == 0
    assert _trusted_uploader(run, "ci") == "True"
    created = run("user", "create", "guest", "--email", "g@example.com", "--no-trusted-uploader")
    assert created.returncode == 0
    assert _trusted_uploader(run, "guest") == "False"


def test_user_trust_and_untrust_change_the_flag_and_are_recorded(run):
    run("user", "create", "guest", "--email", "g@example.com", "--no-trusted-uploader")
    trusted = run("user", "trust", "guest")
    assert (trusted.returncode, trusted.stderr) == (0, "guest is now a trusted uploader\n")
    assert _trusted_uploader(run, "guest") == "True"
    assert "was already" in run("user", "trust", "guest").stderr
    assert run("user", "untrust", "guest").returncode == 0
    assert _trusted_uploader(run, "guest") == "False"
    recorded = run(
        "manage",
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from cheeseshop.audit.models import Event\n"
        "for e in Event.objects.filter(tag__startswith='admin:user:trusted').order_by('sequence'):"
        " print(e.tag, e.credential['method'], e.user_id)",
    ).stdout.splitlines()
    assert [line.rsplit(" ", 1)[0] for line in recorded] == [
        "admin:user:trusted_uploader:add cli",
        "admin:user:trusted_uploader:remove cli",
    ]
    assert run("user", "trust", "nobody").returncode == 1


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


def make_project_for(run, username: str, project: str) -> None:
    """A project the user owns, made as an operator would: through `manage shell`."""
    code = (
        "from cheeseshop.accounts.models import User; "
        "from cheeseshop.packaging.models import Project, Role; "
        f"p = Project.objects.create(name={project!r}, normalized_name={project!r}, "
        f"ultranormalized_name={project!r}); "
        f"Role.objects.create(user=User.objects.get(username={username!r}), project=p, "
        "role_name='Owner')"
    )
    result = run("manage", "shell", "--verbosity", "0", "-c", code)
    assert result.returncode == 0, result.stderr


def token_table(run, username: str) -> list[list[str]]:
    result = run("token", "list", username)
    assert result.returncode == 0, result.stderr
    return [line.split("  ") for line in result.stdout.splitlines()]


def cells(line: list[str]) -> list[str]:
    return [cell.strip() for cell in line if cell.strip()]


def test_token_create_with_projects_and_an_expiry_and_token_list_shows_them(run):
    assert run("user", "create", "frank", "--email", "f@example.com", "--totp").returncode == 0
    make_project_for(run, "frank", "alpha")
    make_project_for(run, "frank", "beta")
    created = run(
        "token",
        "create",
        "frank",
        "--project",
        "alpha",
        "--project",
        "Beta",
        "--expires",
        "30",
        "--description",
        "release job",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("pypi-")
    assert run("token", "create", "frank", "--description", "everything").returncode == 0

    header, scoped, account_wide = (cells(line) for line in token_table(run, "frank"))
    assert header == ["id", "description", "scope", "created", "expires", "last used", "revoked"]
    assert scoped[1:3] == ["release job", "projects: alpha, beta"]
    assert scoped[4] != "-"  # expires
    assert scoped[-2:] == ["-", "-"]  # never used, not revoked
    assert account_wide[1:3] == ["everything", "account"]
    assert account_wide[4] == "-"


def test_token_create_refuses_a_project_the_user_has_no_role_on(run):
    assert run("user", "create", "gina", "--email", "g@example.com", "--totp").returncode == 0
    assert run("user", "create", "hal", "--email", "h@example.com").returncode == 0
    make_project_for(run, "hal", "hals-project")
    result = run("token", "create", "gina", "--project", "hals-project")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: User 'gina' is not a collaborator on project 'hals-project': a token can only "
        "be scoped to the user's own projects.\n"
    )


def test_token_create_refuses_a_description_in_use(run):
    assert run("user", "create", "ivy", "--email", "i@example.com", "--totp").returncode == 0
    assert run("token", "create", "ivy", "--description", "ci").returncode == 0
    result = run("token", "create", "ivy", "--description", "ci")
    assert result.returncode == 1
    assert "already has a token described 'ci'" in result.stderr


@pytest.mark.parametrize("days", ["0", "-1", "seven", "36501"])
def test_token_create_refuses_a_bad_expiry(run, days):
    result = run("token", "create", "anyone", "--expires", days)
    assert result.returncode == 2
    assert "--expires" in result.stderr


def test_token_list_for_an_unknown_user_is_an_error(run):
    result = run("token", "list", "nobody")
    assert result.returncode == 1
    assert "no user named 'nobody'" in result.stderr


def test_token_revoke_revokes_by_id_once(run):
    assert run("user", "create", "jack", "--email", "j@example.com", "--totp").returncode == 0
    assert run("token", "create", "jack", "--description", "ci").returncode == 0
    token_id = cells(token_table(run, "jack")[1])[0]

    revoked = run("token", "revoke", token_id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stderr == f"revoked token {token_id} (ci) of jack\n"
    assert cells(token_table(run, "jack")[1])[-1] != "-"

    again = run("token", "revoke", token_id)
    assert again.returncode == 0
    assert again.stderr.startswith(f"token {token_id} was already revoked on ")


@pytest.mark.parametrize(
    ("token_id", "message"),
    [
        (
            "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "no token with id 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        ),
        ("not-a-uuid", "'not-a-uuid' is not a token id (a UUID)"),
    ],
)
def test_token_revoke_of_an_unknown_id_is_an_error(run, token_id, message):
    result = run("token", "revoke", token_id)
    assert result.returncode == 1
    assert result.stderr == f"error: {message}\n"


# A project check shipped as a plug-in: it names each project it judges.
PROJECT_NAMER = """
from cheeseshop.malware.api import Check, Finding, Subject


class ProjectNamer(Check):
    name = "test-project-namer"
    subject = Subject.PROJECT
    summary = "Names the project"

    def judge(self, project):
        yield Finding("named", f"judged {project.normalized_name}")
"""


def with_plugin(tmp_path) -> dict[str, str]:
    """The settings that install the marker and project-namer plug-ins for the command."""
    site = tmp_path / "site"
    install_plugin(site, "marker_checks", MARKER_CHECKS, {"m": "marker_checks:MarkerCheck"})
    install_plugin(site, "namer_checks", PROJECT_NAMER, {"n": "namer_checks:ProjectNamer"})
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_malware_checks_lists_each_check_with_its_state_and_whether_it_is_installed(run, tmp_path):
    plugin = with_plugin(tmp_path)

    table = run("malware", "checks", settings=plugin)
    assert table.returncode == 0, table.stderr
    header, *rows = (cells(line.split("  ")) for line in table.stdout.splitlines())
    assert header == ["name", "version", "judges", "triggers", "state", "installed", "summary"]
    assert ["test-marker", "3", "file", "upload", "shadow", "yes"] in [row[:6] for row in rows]

    uninstalled = run("malware", "checks", "--format", "json")
    assert uninstalled.returncode == 0, uninstalled.stderr
    assert {
        "name": "test-marker",
        "version": 3,
        "subject": "file",
        "triggers": [],
        "state": "shadow",
        "installed": False,
        "summary": "Flags files holding the test markers",
    } in [json.loads(line) for line in uninstalled.stdout.splitlines()]


def test_malware_run_backfills_a_check_with_progress_and_refuses_an_unknown_one(run, tmp_path):
    plugin = with_plugin(tmp_path)
    assert run("user", "create", "olga", "--email", "o@example.com").returncode == 0
    make_project_for(run, "olga", "alpha")
    make_project_for(run, "olga", "beta")

    backfill = run("malware", "run", "test-project-namer", settings=plugin)
    assert backfill.returncode == 0, backfill.stderr
    assert backfill.stderr.splitlines() == [
        "test-project-namer: 1/2 (50%)",
        "test-project-namer: 2/2 (100%)",
    ]
    assert backfill.stdout == "test-project-namer: 2/2 judged, errors: 0\n"
    verdicts = run(
        "manage",
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from cheeseshop.malware.models import Verdict\n"
        "for v in Verdict.objects.order_by('project_name'): print(v.project_name, v.level)",
    )
    assert verdicts.stdout.splitlines() == ["alpha review", "beta review"]

    later = run("malware", "run", "test-project-namer", "--since", "2999-01-01", settings=plugin)
    assert (later.returncode, later.stdout) == (0, "test-project-namer: 0/0 judged, errors: 0\n")

    unknown = run("malware", "run", "no-such-check", settings=plugin)
    assert unknown.returncode == 1
    assert "no-such-check" in unknown.stderr
    assert "test-marker, test-project-namer" in unknown.stderr

    bad_date = run("malware", "run", "test-project-namer", "--since", "2026-13-01")
    assert bad_date.returncode == 2
    assert "'2026-13-01' is not a date (YYYY-MM-DD)" in bad_date.stderr


# --- the language it speaks, and a reader that leaves ----------------------------------------


def test_a_command_speaks_the_language_of_its_environment(run):
    french = run("audit", "verify", settings={"LANG": "fr_FR.UTF-8"})
    assert (french.returncode, french.stdout) == (0, "chaîne intacte\u00a0: 0 événement\n")
    english = run("audit", "verify", settings={"LANG": "C.UTF-8", "LANGUAGE": "fr"})
    assert english.stdout == "chain intact: 0 events\n"


def test_help_speaks_the_language_of_its_environment_without_a_data_directory(run):
    result = run("token", "--help", settings={"LANG": "fr_FR.UTF-8"})
    assert result.returncode == 0
    assert "révoquer définitivement un jeton d'API" in result.stdout
    assert not run.data_dir.exists()


def test_a_reader_that_leaves_early_ends_the_command_quietly(run):
    run("user", "create", "olga", "--email", "olga@example.com")
    for args in (["--help"], ["token", "list", "olga"]):
        read, write = os.pipe()
        os.close(read)  # the reader has left before the first line (`| head -0`)
        try:
            result = subprocess.run(
                [CHEESESHOP, *args],
                env=run.env,
                stdout=write,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            os.close(write)
        assert result.stderr == ""
        # (argparse drops its help text quietly itself; a command's output fails as SIGPIPE.)
        assert result.returncode in {0, 128 + signal.SIGPIPE}
    assert result.returncode == 128 + signal.SIGPIPE
