import base64
import gc
import hashlib
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cheeseshop.accounts.services import create_user
from cheeseshop.packaging.descriptions import start_renderer
from cheeseshop.tokens.services import create_token


@pytest.fixture(autouse=True)
def packages_dir(settings, tmp_path) -> Path:
    """Each test stores files in its own directory, so "nothing stored" can be checked."""
    location = tmp_path / "packages"
    settings.STORAGES = {
        **settings.STORAGES,
        "packages": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture(autouse=True, scope="session")
def _description_renderer_started():
    """The description renderer's fork server lives as long as the process, and so does its
    socket's temporary directory: started before the tests look for files left behind."""
    start_renderer()


@pytest.fixture(autouse=True)
def no_temporary_file_left(tmp_path, monkeypatch, _description_renderer_started):
    """Every upload test ends with the received file's temporary copy deleted, whatever the
    answer was — deleted by the view, not by a garbage collection that may never come (a
    server process that exits does not run one)."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    gc.disable()
    try:
        yield
        assert sorted(p.name for p in directory.iterdir()) == []
    finally:
        gc.enable()


def stored_files(location: Path) -> list[str]:
    if not location.exists():
        return []
    return sorted(str(p.relative_to(location)) for p in location.rglob("*") if p.is_file())


@pytest.fixture
def user(db):
    return create_user("alice", "alice@example.com")


@pytest.fixture
def token(user) -> str:
    return create_token(user, description="tests")[1]


def basic_auth(token: str, username: str = "__token__") -> str:
    return "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()


def upload_form(path: Path, name: str, version: str, /, **overrides) -> dict:
    """The form twine sends for ``path``; ``overrides`` replace or (with None) drop fields."""
    data = path.read_bytes()
    is_wheel = path.name.endswith(".whl")
    form = {
        ":action": "file_upload",
        "protocol_version": "1",
        "metadata_version": "2.4",
        "name": name,
        "version": version,
        "filetype": "bdist_wheel" if is_wheel else "sdist",
        "pyversion": "py3" if is_wheel else "source",
        "md5_digest": hashlib.md5(data).hexdigest(),  # noqa: S324
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
        "content": SimpleUploadedFile(path.name, data, "application/octet-stream"),
    }
    for key, value in overrides.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


@pytest.fixture
def post_upload(client, token):
    def post(path: Path, name: str, version: str, /, *, auth: str | None = None, **overrides):
        headers = {"Authorization": auth if auth is not None else basic_auth(token)}
        if auth == "":
            headers = {}
        return client.post(
            "/legacy/", upload_form(path, name, version, **overrides), headers=headers
        )

    return post
