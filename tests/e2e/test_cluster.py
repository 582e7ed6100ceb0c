"""Several `cheeseshop serve` nodes on one database are one index: a login on one node is a
login on the others, a node with another secret key refuses to start, web-only nodes run no task
worker, a node told not to migrate refuses a database that lacks migrations, and a Host the index
does not answer is refused on the fast path as on every other page."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import requests
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from cheeseshop.webserver import TASK_WORKER_MULE
from tests.e2e.conftest import BIN, _database_env, running_index, start_index
from tests.packaging.dists import make_wheel
from tests.processes import parent_of
from tests.upload.conftest import basic_auth, upload_form

pytestmark = pytest.mark.e2e

SHARED_KEY = "the-secret-key-every-node-of-this-cluster-shares-" + "s" * 20
PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def shared_database():
    """A fresh PostgreSQL database for the nodes of one test: several machines share one only
    when it is not SQLite."""
    cleanups: list = []
    database = _database_env(cleanups)
    if not database:
        pytest.skip("nodes share a PostgreSQL database (CHEESESHOP_TEST_DATABASE_URL)")
    yield database
    for cleanup in reversed(cleanups):
        cleanup()


def child_commands(pid: int) -> list[str]:
    """The command lines of the processes ``pid`` started."""
    commands = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = parent_of(int(stat.parent.name))
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
        if parent == pid:
            commands.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return commands


def runs_a_task_worker(index) -> bool:
    """Whether the node's web server (uWSGI, its child) runs the task worker as a mule."""
    mule = f"--mule={TASK_WORKER_MULE}"
    return any(mule in command.split() for command in child_commands(index.process.pid))


def log_in(index, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{index.url}/account/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    form = {"login": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    answer = session.post(f"{index.url}/account/login/", form, timeout=30)
    assert answer.url.endswith("/manage/projects/"), answer.url
    return session


def is_logged_in_on(index, session: requests.Session) -> bool:
    page = session.get(f"{index.url}/manage/projects/", allow_redirects=False, timeout=30)
    return page.status_code == 200


def upload(index, token: str, tmp_path, name: str) -> None:
    wheel = make_wheel(tmp_path, name, "1.0")
    answer = requests.post(
        index.upload_url,
        data=encode_multipart(BOUNDARY, upload_form(wheel, name, "1.0")),
        headers={"Content-Type": MULTIPART_CONTENT, "Authorization": basic_auth(token)},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text


def serve_until_it_exits(env: dict, *serve_args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "cheeseshop"), "serve", "--port", "1", *serve_args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_login_on_one_node_is_a_login_on_a_web_only_node_of_the_same_database(
    tmp_path, shared_database
):
    keys = {**shared_database, "CHEESESHOP_SECRET_KEY": SHARED_KEY}
    first = start_index(tmp_path / "node-1", keys)
    try:
        second = start_index(tmp_path / "node-2", keys, ("--no-worker", "--no-migrate"))
        try:
            assert runs_a_task_worker(first)
            assert not runs_a_task_worker(second)
            first.cli("user", "create", "alice", "--email", "a@example.com", "--password-stdin",
                      input=PASSWORD + "\n")  # fmt: skip
            session = log_in(first, "alice")
            assert is_logged_in_on(second, session)
            assert not is_logged_in_on(second, requests.Session())
            token = second.cli("token", "create", "alice").strip()
            upload(second, token, tmp_path, "shared-project")
            page = requests.get(f"{first.simple_url}shared-project/", timeout=30)
            assert "shared_project-1.0-py3-none-any.whl" in page.text
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_node_with_another_secret_key_refuses_to_start_and_says_what_to_set(tmp_path):
    with running_index(tmp_path / "data", {"CHEESESHOP_SECRET_KEY": SHARED_KEY}) as index:
        other = {**index.env, "CHEESESHOP_SECRET_KEY": "another-secret-key-" + "x" * 40}
        refused = serve_until_it_exits(other)
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert "set CHEESESHOP_SECRET_KEY to the same value on every node" in line
    assert "CHEESESHOP_SECRET_KEY_FALLBACKS" in line
    assert "index:" not in refused.stdout


def test_serve_no_migrate_refuses_a_database_that_lacks_migrations(tmp_path):
    cleanups: list = []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path / "data")
    try:
        refused = serve_until_it_exits({**env, **_database_env(cleanups)}, "--no-migrate")
    finally:
        for cleanup in reversed(cleanups):
            cleanup()
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("error: the database lacks ")
    assert line.endswith("run `cheeseshop migrate`")
    assert "index:" not in refused.stdout


def test_a_host_outside_allowed_hosts_is_refused_on_the_fast_path_as_on_other_pages(tmp_path):
    with running_index(tmp_path / "data", {"CHEESESHOP_ALLOWED_HOSTS": "127.0.0.1"}) as index:
        token = index.create_user_with_token("alice")
        upload(index, token, tmp_path, "hosted")
        paths = ["/simple/hosted/", "/simple/", "/pypi/hosted/json", "/project/hosted/"]
        answered = {path: requests.get(index.url + path, timeout=30).status_code for path in paths}
        refused = {
            path: requests.get(
                index.url + path, headers={"Host": "evil.example"}, timeout=30
            ).status_code
            for path in paths
        }
    assert answered == dict.fromkeys(paths, 200)
    assert refused == dict.fromkeys(paths, 400)
