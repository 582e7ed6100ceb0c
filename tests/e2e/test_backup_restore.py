"""The restore drill of docs/operations.md, run as written: a real `cheeseshop serve` takes a
twine upload, is backed up with the document's own commands while it runs, is lost, and is
restored with the document's commands into a new data directory (and a new PostgreSQL database
when the suite runs on PostgreSQL). The restored index must install the file with pip, take a
new upload with the uploader's old token, and serve TUF metadata that tuf.ngclient verifies
against the root the index was initialised with."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from tuf.api.exceptions import DownloadHTTPError

from tests.e2e.conftest import LiveIndex, start_index
from tests.e2e.projects import build, make_project

pytestmark = pytest.mark.e2e

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
PROJECT = "drill-cheese"


def drill(name: str) -> str:
    """The shell commands of docs/operations.md's block marked ``<!-- drill: name -->``."""
    found = re.search(
        rf"<!-- drill: {re.escape(name)} -->\n```sh\n(.*?)```", OPERATIONS.read_text(), re.DOTALL
    )
    assert found, f"docs/operations.md has no block marked drill: {name}"
    return found.group(1)


def run_drill(name: str, env: dict) -> None:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", drill(name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"


class Databases:
    """Fresh PostgreSQL databases next to the suite's, dropped afterwards (none on SQLite)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.names: list[str] = []

    def create(self, purpose: str) -> str:
        import psycopg

        name = f"cheeseshop_{purpose}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return self.base_url.rsplit("/", 1)[0] + "/" + name

    def drop(self, url: str) -> None:
        import psycopg

        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def drop_all(self) -> None:
        for name in self.names:
            self.drop(f"/{name}")


@pytest.fixture
def backend():
    """The suite's database: the drill restores what the suite runs on."""
    base_url = os.environ.get("CHEESESHOP_TEST_DATABASE_URL")
    if not base_url:
        yield "sqlite", None
        return
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the PostgreSQL drill needs {' and '.join(missing)}, which are not installed")
    databases = Databases(base_url)
    try:
        yield "postgresql", databases
    finally:
        databases.drop_all()


def verified_simple_page(index: LiveIndex, workdir: Path, trusted_root: bytes, version: str):
    """The project's simple page (JSON) as ngclient downloads and verifies it, once it lists
    ``version``; and the updater that verified it."""
    deadline = time.monotonic() + 60
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        updater = index.tuf_updater(workdir / f"client-{attempt}", trusted_root)
        updater.refresh()
        target = updater.get_targetinfo(f"simple/{PROJECT}/vnd.pypi.simple.v1.json")
        if target is not None:
            try:
                page = json.loads(Path(updater.download_target(target)).read_bytes())
            except DownloadHTTPError:
                # The page changed since the metadata was signed (the upload's publish is
                # still to come): its signed version is gone, as a client would find; refresh.
                page = {"versions": []}
            if version in page["versions"]:
                return page, updater
        time.sleep(0.3)
    raise AssertionError(f"TUF never listed {PROJECT} {version}:\n{index.log.read_text()[-3000:]}")


def test_a_backup_made_as_operations_md_says_restores_a_working_index(tmp_path, backend):
    kind, databases = backend
    server_env = {"CHEESESHOP_TUF_BIT_LENGTH": "4", "CHEESESHOP_TASKS_BACKEND": "database"}
    original_db = {}
    if databases:
        original_db = {"CHEESESHOP_DATABASE_URL": databases.create("drill")}
    keys_dir = tmp_path / "keys"
    dists = build(make_project(tmp_path / "src", PROJECT, "1.0"), tmp_path / "dist")
    wheel = next(path for path in dists if path.name.endswith(".whl"))

    # An index in use: TUF initialised, a user, a token, an upload signed by the worker.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    index = start_index(data_dir, {**server_env, **original_db})
    try:
        index.cli("tuf", "init", "--keys-dir", str(keys_dir), "--bit-length", "4")
        trusted_root = (keys_dir / "1.root.json").read_bytes()
        token = index.create_user_with_token("publisher")
        index.twine_upload(token, *dists)
        verified_simple_page(index, tmp_path / "before", trusted_root, "1.0")

        # The backup, taken while the index runs.
        backup = {"BACKUP": str(tmp_path / "backup"), "SECRETS_BACKUP": str(tmp_path / "vault")}
        run_drill(f"{kind}-backup", {**index.env, **backup})
    finally:
        index.stop()

    # Everything the index had is lost.
    shutil.rmtree(data_dir)
    if databases:
        databases.drop(original_db["CHEESESHOP_DATABASE_URL"])

    restored_dir = tmp_path / "restored"
    restored_db = {}
    if databases:
        restored_db = {"CHEESESHOP_DATABASE_URL": databases.create("restored")}
    run_drill(
        f"{kind}-restore",
        {**index.env, **backup, **restored_db, "CHEESESHOP_DATA_DIR": str(restored_dir)},
    )

    restored = start_index(restored_dir, {**server_env, **restored_db})
    try:
        # pip installs the file uploaded before the loss.
        installed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--no-cache-dir",
                "--disable-pip-version-check",
                "--target",
                str(tmp_path / "site"),
                "--index-url",
                restored.simple_url,
                f"{PROJECT}==1.0",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert (tmp_path / "site" / "drill_cheese" / "__init__.py").read_text() == (
            '__version__ = "1.0"\n'
        )

        # TUF metadata restored with the database verifies against the original root, and the
        # file it names is the one uploaded.
        page, updater = verified_simple_page(restored, tmp_path / "after", trusted_root, "1.0")
        listed = next(file for file in page["files"] if file["filename"] == wheel.name)
        target = updater.get_targetinfo("packages/" + listed["url"].split("/packages/", 1)[1])
        assert target is not None
        assert Path(updater.download_target(target)).read_bytes() == wheel.read_bytes()

        # The old token uploads (its root key opened with the restored secret key), and the
        # restored online key signs the new release.
        newer = build(make_project(tmp_path / "src-1.1", PROJECT, "1.1"), tmp_path / "dist-1.1")
        restored.twine_upload(token, *newer)
        verified_simple_page(restored, tmp_path / "newer", trusted_root, "1.1")
    finally:
        restored.stop()
