"""What `cheeseshop serve` writes is readable by its own user only: the data directory, the
database and its WAL, the secret key, stored files. Another local user copied a 0644 database,
read a token's root key and a TOTP secret out of it, and forged a token."""

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import running_index
from tests.packaging.dists import make_wheel
from tests.upload.conftest import basic_auth, upload_form

pytestmark = pytest.mark.e2e


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _upload_a_wheel(index, tmp_path) -> None:
    token = index.create_user_with_token("alice")
    wheel = make_wheel(tmp_path, "private-files", "1.0")
    response = requests.post(
        index.upload_url,
        files={"content": (wheel.name, wheel.read_bytes())},
        data={
            k: v for k, v in upload_form(wheel, "private-files", "1.0").items() if k != "content"
        },
        headers={"Authorization": basic_auth(token)},
        timeout=60,
    )
    assert response.status_code == 200, response.text


def _written(data_dir: Path) -> list[Path]:
    return list(data_dir.rglob("*"))


@pytest.fixture(scope="module")
def served_data_dir(tmp_path_factory):
    """A data directory after `serve` ran, migrated, and stored an upload."""
    tmp_path = tmp_path_factory.mktemp("private")
    data_dir = tmp_path / "data"
    with running_index(data_dir) as index:
        _upload_a_wheel(index, tmp_path)
        yield data_dir


def test_the_data_directory_is_its_owners_only(served_data_dir):
    assert _mode(served_data_dir) == 0o700


@pytest.mark.parametrize(
    "name",
    ["secret_key", "cheeseshop.sqlite3", "cheeseshop.sqlite3-wal", "cheeseshop.sqlite3-shm"],
)
def test_the_secret_key_and_the_database_are_their_owners_only(served_data_dir, name):
    if "sqlite" in name and os.environ.get("CHEESESHOP_TEST_DATABASE_URL"):
        pytest.skip("the database is PostgreSQL's")
    assert _mode(served_data_dir / name) == 0o600


def test_every_file_and_directory_written_is_its_owners_only(served_data_dir):
    written = _written(served_data_dir)
    assert any(path.suffix == ".whl" for path in written)
    opened = {str(path): oct(_mode(path)) for path in written if _mode(path) & 0o077}
    assert opened == {}


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to act as another local user",
)
def test_another_local_user_cannot_copy_the_database(tmp_path):
    # A parent every user may pass through, as /srv or /var/lib is: only the data directory's
    # own modes stand between another user and the files.
    parent = Path(tempfile.mkdtemp(prefix="cheeseshop-shared-"))
    os.chmod(parent, 0o755)  # noqa: S103 (the attack needs it)
    data_dir = parent / "data"
    try:
        with running_index(data_dir):
            copied = subprocess.run(
                [
                    "setpriv",
                    "--reuid=nobody",
                    "--regid=nogroup",
                    "--clear-groups",
                    "--",
                    "cat",
                    str(data_dir / "secret_key"),
                    str(data_dir / "cheeseshop.sqlite3"),
                ],
                capture_output=True,
                check=False,
            )
            listed = subprocess.run(
                [
                    "setpriv",
                    "--reuid=nobody",
                    "--regid=nogroup",
                    "--clear-groups",
                    "--",
                    "ls",
                    str(data_dir),
                ],
                capture_output=True,
                check=False,
            )
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    assert copied.returncode != 0
    assert copied.stdout == b""
    assert b"Permission denied" in listed.stderr
