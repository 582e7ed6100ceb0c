"""A real ``cheeseshop serve``: init TUF, upload with twine, then ngclient — trusting only the
root.json that init wrote to the keys directory — verifies the wheel and the simple page."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tuf.ngclient import Updater

from tests.e2e.conftest import BIN, start_index
from tests.e2e.projects import build, make_project

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]


def _tuf_command() -> list[str]:
    from cheeseshop.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    if "tuf" in commands:
        return [str(BIN / "cheeseshop"), "tuf"]
    return [sys.executable, "-m", "tests.tuf.cli_shim", "tuf"]


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


def _updater(workdir: Path, base: str, trusted_root: bytes) -> Updater:
    (workdir / "metadata").mkdir(parents=True, exist_ok=True)
    (workdir / "targets").mkdir(parents=True, exist_ok=True)
    return Updater(
        str(workdir / "metadata"),
        f"{base}/tuf/",
        str(workdir / "targets"),
        f"{base}/",
        bootstrap=trusted_root,
    )


def test_twine_upload_is_verifiable_through_ngclient(tmp_path):
    data_dir, keys_dir = tmp_path / "data", tmp_path / "keys"
    data_dir.mkdir()
    init = subprocess.run(
        [
            *_tuf_command(),
            "init",
            "--keys-dir",
            str(keys_dir),
            "--bit-length",
            "4",
            "--root-keys",
            "2",
            "--root-threshold",
            "2",
        ],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    trusted_root = (keys_dir / "1.root.json").read_bytes()

    index = start_index(data_dir, _server_env())
    try:
        token = index.create_user_with_token("signer")
        dists = build(make_project(tmp_path / "src", "tuf-demo", "1.0"), tmp_path / "dist")
        wheel = next(p for p in dists if p.name.endswith(".whl"))
        upload = subprocess.run(
            [
                str(BIN / "twine"),
                "upload",
                "--disable-progress-bar",
                "--non-interactive",
                "--repository-url",
                index.upload_url,
                "-u",
                "__token__",
                "-p",
                token,
                str(wheel),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert upload.returncode == 0, upload.stdout + upload.stderr
        uploaded = time.monotonic()
        target = None
        attempt = 0
        while time.monotonic() - uploaded < 60:
            attempt += 1
            updater = _updater(tmp_path / f"client-{attempt}", index.url, trusted_root)
            updater.refresh()
            target = updater.get_targetinfo("simple/tuf-demo/vnd.pypi.simple.v1.json")
            if target is not None:
                break
            time.sleep(0.2)
        assert target is not None, index.log.read_text()[-3000:]
        page = json.loads(Path(updater.download_target(target)).read_bytes())
        (listed,) = page["files"]
        assert listed["filename"] == wheel.name
        wheel_path = "packages/" + listed["url"].split("/packages/", 1)[1]
        info = updater.get_targetinfo(wheel_path)
        assert info is not None
        downloaded = Path(updater.download_target(info))
        assert downloaded.read_bytes() == wheel.read_bytes()
        assert info.hashes["sha256"] == listed["hashes"]["sha256"]
    finally:
        index.stop()
