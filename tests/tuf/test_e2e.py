"""A real ``cheeseshop serve``: init TUF, upload with twine, then ngclient — trusting only the
root.json that init wrote to the keys directory — verifies the wheel and the simple page."""

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from tuf.api.metadata import Metadata

from tests.e2e.conftest import BIN, running_index, start_index
from tests.e2e.projects import build, make_project
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]


def _tuf_command() -> list[str]:
    return [str(BIN / "cheeseshop"), "tuf"]


def _env(data_dir: Path) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env.update(_server_env())
    env["CHEESESHOP_DATA_DIR"] = str(data_dir)
    return env


def _server_env() -> dict:

    return {
        "CHEESESHOP_TUF_BIT_LENGTH": "4",
        "CHEESESHOP_TASKS_BACKEND": "database",
        "CHEESESHOP_UPLOAD_REQUIRES_2FA": "false",
    }


def _tuf(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_tuf_command(), *arguments],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_twine_upload_is_verifiable_through_ngclient(tmp_path):
    data_dir, keys_dir = tmp_path / "data", tmp_path / "keys"
    data_dir.mkdir()
    init = _tuf(
        data_dir,
        "init",
        "--keys-dir",
        str(keys_dir),
        "--bit-length",
        "4",
        "--root-keys",
        "2",
        "--root-threshold",
        "2",
    )
    assert init.returncode == 0, init.stderr
    assert f"trust anchor for clients: {keys_dir / '1.root.json'}" in init.stdout
    trusted_root = (keys_dir / "1.root.json").read_bytes()

    index = start_index(data_dir, _server_env())
    try:
        token = index.create_user_with_token("signer")
        dists = build(make_project(tmp_path / "src", "tuf-demo", "1.0"), tmp_path / "dist")
        wheel = next(p for p in dists if p.name.endswith(".whl"))
        index.twine_upload(token, wheel)
        simple_page = "simple/tuf-demo/vnd.pypi.simple.v1.json"
        updater = index.published_updater(tmp_path, trusted_root, simple_page)
        target = updater.get_targetinfo(simple_page)
        page = json.loads(Path(updater.download_target(target)).read_bytes())
        (listed,) = page["files"]
        assert listed["filename"] == wheel.name
        wheel_path = "packages/" + listed["url"].split("/packages/", 1)[1]
        info = updater.get_targetinfo(wheel_path)
        assert info is not None
        downloaded = Path(updater.download_target(info))
        assert downloaded.read_bytes() == wheel.read_bytes()
        assert info.hashes["sha256"] == listed["hashes"]["sha256"]

        # The operator's own check: ngclient against the live index, pinned to init's root.
        verify = _tuf(
            data_dir, "verify", "--url", index.url, "--root", str(keys_dir / "1.root.json")
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert f"verified {wheel_path}" in verify.stdout
        assert "0 failed" in verify.stdout
        status = _tuf(data_dir, "status")
        assert status.returncode == 0, status.stderr
        assert "bins: 16 (bit length 4)" in status.stdout
    finally:
        index.stop()


def test_50_concurrent_uploads_leave_a_consistent_verifiable_repository(tmp_path):
    keys_dir, dists = tmp_path / "keys", tmp_path / "dists"
    dists.mkdir()
    wheels = [make_wheel(dists, f"concurrent-{number}", "1.0") for number in range(50)]
    # One user creates 50 projects here: above the default project-creation rate limits.
    limits = {
        "CHEESESHOP_PROJECT_CREATE_USER_LIMIT": "100/hour",
        "CHEESESHOP_PROJECT_CREATE_IP_LIMIT": "100/hour",
    }
    with running_index(tmp_path / "data", limits) as index:
        index.cli("tuf", "init", "--keys-dir", str(keys_dir), "--bit-length", "4")
        token = index.create_user_with_token("many")

        def upload(wheel: Path) -> int:
            name = wheel.name.split("-")[0]
            return index.post_wheel(token, wheel, name).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            assert list(pool.map(upload, wheels)) == [200] * 50

        trusted_root = (keys_dir / "1.root.json").read_bytes()
        pages = [f"simple/concurrent-{number}/vnd.pypi.simple.v1.json" for number in range(50)]
        updater = index.published_updater(tmp_path, trusted_root, *pages, timeout=90)
        # Every page and every wheel it lists downloads and verifies.
        for page, wheel in zip(pages, wheels, strict=True):
            listing = json.loads(
                Path(updater.download_target(updater.get_targetinfo(page))).read_bytes()
            )
            (listed,) = listing["files"]
            path = "packages/" + listed["url"].split("/packages/", 1)[1]
            downloaded = updater.download_target(updater.get_targetinfo(path))
            assert Path(downloaded).read_bytes() == wheel.read_bytes()

        # Snapshots were numbered without gaps (each is served), and no role ever went back.
        timestamp = requests.get(f"{index.url}/tuf/timestamp.json", timeout=30).json()
        current = timestamp["signed"]["meta"]["snapshot.json"]["version"]
        previous: dict = {}
        for version in range(1, current + 1):
            response = requests.get(f"{index.url}/tuf/{version}.snapshot.json", timeout=30)
            assert response.status_code == 200, version
            snapshot = Metadata.from_bytes(response.content).signed
            for role, info in snapshot.meta.items():
                assert info.version >= previous.get(role, 0), (version, role)
                previous[role] = info.version
