"""The data directory settings.py prepares: for cheeseshop's own user alone, however it was made.

Another local user who could read the database read every token's root key and every TOTP
secret; a directory made by an older cheeseshop (0755, files 0644) is closed at the next start.
"""

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import fresh_settings

SECRET_FILES = [
    "secret_key",
    "cheeseshop.sqlite3",
    "cheeseshop.sqlite3-wal",
    "cheeseshop.sqlite3-shm",
    "tuf/online_key",
]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_data_dir(tmp_path, monkeypatch):
    """A data directory as an older cheeseshop left it: readable by everyone."""
    data_dir = tmp_path / "data"
    (data_dir / "tuf").mkdir(parents=True)
    for name in SECRET_FILES:
        (data_dir / name).write_text("secret")
        os.chmod(data_dir / name, 0o644)
    os.chmod(data_dir, 0o755)  # noqa: S103 (as an older version left it)
    monkeypatch.setenv("CHEESESHOP_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CHEESESHOP_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHEESESHOP_SECRET_KEY", raising=False)
    monkeypatch.delenv("CHEESESHOP_TUF_ONLINE_KEY_URI", raising=False)
    return data_dir


def test_an_open_data_directory_is_closed_at_start(open_data_dir):
    fresh_settings()
    assert _mode(open_data_dir) == 0o700


@pytest.mark.parametrize("name", SECRET_FILES)
def test_an_open_secret_file_is_made_private_at_start(open_data_dir, name):
    fresh_settings()
    assert _mode(open_data_dir / name) == 0o600


def test_a_new_data_directory_and_its_secret_key_are_private(tmp_path, monkeypatch):
    data_dir = tmp_path / "new" / "data"
    monkeypatch.setenv("CHEESESHOP_DATA_DIR", str(data_dir))
    monkeypatch.delenv("CHEESESHOP_SECRET_KEY", raising=False)
    fresh_settings()
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "secret_key") == 0o600


def test_files_written_after_the_settings_load_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEESESHOP_DATA_DIR", str(tmp_path / "data"))
    previous = os.umask(0o022)
    try:
        fresh_settings()
        (tmp_path / "written").write_text("x")
        (tmp_path / "made").mkdir()
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "written") == 0o600
    assert _mode(tmp_path / "made") == 0o700


def test_stored_files_and_their_directories_are_private():
    settings = fresh_settings()
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
