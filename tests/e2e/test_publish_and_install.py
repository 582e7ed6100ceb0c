"""Publish with twine and uv, install with pip and uv, against a real `cheeseshop serve`."""

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import BIN, start_index
from tests.e2e.projects import build, make_project

pytestmark = pytest.mark.e2e


def _run(*cmd, env=None, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    if check:
        assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


def _uv_publish(index, token, *files, extra=(), check=True):
    env = {**os.environ, "UV_NO_CACHE": "1"}
    return _run(
        BIN / "uv",
        "publish",
        "--publish-url",
        index.upload_url,
        "--token",
        token,
        *extra,
        *files,
        env=env,
        check=check,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> dict[str, list[Path]]:
    """A 3-deep dependency chain, built for real: top -> middle -> bottom."""
    root = tmp_path_factory.mktemp("chain")
    specs = {
        "e2e-bottom": (),
        "e2e-middle": ("e2e-bottom>=1.0",),
        "e2e-top": ("e2e-middle>=1.0",),
    }
    return {
        name: build(make_project(root, name, "1.0", dependencies=deps), root / "dist")
        for name, deps in specs.items()
    }


def test_publish_with_twine_and_uv_then_install_chain_with_pip_and_uv(live_index, chain, tmp_path):
    token = live_index.create_user_with_token("alice")
    live_index.twine_upload(token, *chain["e2e-bottom"])
    live_index.twine_upload(token, *chain["e2e-middle"])
    _uv_publish(live_index, token, *chain["e2e-top"])

    # pip resolves the chain from the index alone, reading wheel metadata from .metadata files.
    pip = live_index.pip_install(tmp_path / "pip-venv", "e2e-top")
    assert "Successfully installed e2e-bottom-1.0 e2e-middle-1.0 e2e-top-1.0" in pip
    assert ".whl.metadata" in pip, "pip did not use the PEP 658 metadata files"

    uv_venv = tmp_path / "uv-venv"
    _run(BIN / "uv", "venv", "--no-cache", "--python", sys.executable, uv_venv)
    _run(
        BIN / "uv",
        "pip",
        "install",
        "--no-cache",
        "--python",
        uv_venv / "bin" / "python",
        "--index-url",
        live_index.simple_url,
        "e2e-top",
    )
    frozen = _run(BIN / "uv", "pip", "freeze", "--python", uv_venv / "bin" / "python").stdout
    assert {"e2e-bottom==1.0", "e2e-middle==1.0", "e2e-top==1.0"} <= set(frozen.split())


def test_downloaded_files_are_byte_identical_to_uploaded(live_index, chain, tmp_path):
    token = live_index.create_user_with_token("bob")
    uploaded = chain["e2e-bottom"]
    live_index.twine_upload(token, *uploaded)
    download_dir = tmp_path / "dl"
    python = sys.executable
    for fmt in (":all:", ":none:"):  # the sdist, then the wheel
        _run(
            python,
            "-m",
            "pip",
            "download",
            "--no-cache-dir",
            "--no-deps",
            "--no-build-isolation",  # preparing the sdist's metadata needs no index of ours
            "--no-binary" if fmt == ":all:" else "--only-binary",
            ":all:",
            "--index-url",
            live_index.simple_url,
            "-d",
            download_dir,
            "e2e-bottom",
        )
    for original in uploaded:
        assert _sha256(download_dir / original.name) == _sha256(original)


def test_reupload_is_idempotent_and_conflicts_are_refused(live_index, chain, tmp_path):
    token = live_index.create_user_with_token("carol")
    sdist, wheel = chain["e2e-middle"]
    live_index.twine_upload(token, sdist, wheel)
    # The same files again: accepted, nothing changes. (twine 7 allows --skip-existing only
    # for pypi.org; a plain re-upload is its equivalent here.) uv asks the index first.
    live_index.twine_upload(token, sdist, wheel)
    skipped = _uv_publish(
        live_index, token, sdist, wheel, extra=("--check-url", live_index.simple_url)
    )
    assert "already exists" in (skipped.stdout + skipped.stderr).lower()
    # Different bytes under a used filename: refused, and twine shows why.
    tampered = tmp_path / wheel.name
    tampered.write_bytes(wheel.read_bytes() + b"\0")
    result = live_index.twine_upload(token, tampered, check=False)
    assert result.returncode != 0
    assert "File already exists" in result.stdout + result.stderr


def test_upload_with_an_invalid_token_is_refused_with_the_reason(live_index, chain):
    live_index.create_user_with_token("dave")
    result = live_index.twine_upload("pypi-not-a-real-token", chain["e2e-top"][1], check=False)
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert "Invalid API Token" in result.stdout + result.stderr


def test_another_users_project_cannot_be_uploaded_to(live_index, chain):
    owner = live_index.create_user_with_token("erin")
    intruder = live_index.create_user_with_token("mallory")
    live_index.twine_upload(owner, chain["e2e-bottom"][0])
    result = live_index.twine_upload(intruder, chain["e2e-bottom"][1], check=False)
    assert result.returncode != 0
    assert "isn't allowed to upload to project 'e2e-bottom'" in result.stdout + result.stderr


def test_serve_stops_cleanly_and_reuses_its_data(tmp_path, chain):
    data_dir = tmp_path / "data"
    first = start_index(data_dir)
    token = first.create_user_with_token("frank")
    first.twine_upload(token, *chain["e2e-bottom"])
    # The worker `serve` runs beside the web server carries out each upload's background
    # tasks: for each of the two files, its stored bytes verified and the malware checks.
    count_done = (
        "from django_tasks_db.models import DBTaskResult; "
        "print(DBTaskResult.objects.filter(status='SUCCESSFUL').count())"
    )
    deadline = time.monotonic() + 90
    while first.cli("manage", "shell", "--verbosity", "0", "-c", count_done).strip() != "4":
        assert time.monotonic() < deadline, "the background tasks did not run"
        time.sleep(0.5)
    secret_key = (data_dir / "secret_key").read_text()
    assert first.stop() == 0

    second = start_index(data_dir)
    try:
        assert (data_dir / "secret_key").read_text() == secret_key
        request = urllib.request.Request(
            f"{second.simple_url}e2e-bottom/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        )
        with urllib.request.urlopen(request) as response:
            page = json.load(response)
        assert sorted(f["filename"] for f in page["files"]) == sorted(
            p.name for p in chain["e2e-bottom"]
        )
    finally:
        assert second.stop() == 0


@pytest.mark.skipif(
    not os.environ.get("CHEESESHOP_TEST_TWINE6"),
    reason="set CHEESESHOP_TEST_TWINE6 to a twine 6 executable (.ci/run does)",
)
def test_twine_6_uploads_and_sees_refusal_reasons(live_index, chain):
    twine6 = os.environ["CHEESESHOP_TEST_TWINE6"]
    version = _run(twine6, "--version").stdout
    assert version.startswith("twine version 6."), version
    token = live_index.create_user_with_token("grace")
    live_index.twine_upload(token, *chain["e2e-middle"], twine=twine6)
    intruder = live_index.create_user_with_token("trudy")
    result = live_index.twine_upload(intruder, chain["e2e-middle"][0], twine=twine6, check=False)
    assert result.returncode != 0
    assert "isn't allowed to upload to project 'e2e-middle'" in result.stdout + result.stderr
