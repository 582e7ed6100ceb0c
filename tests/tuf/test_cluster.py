"""Two nodes of one index: two real ``cheeseshop serve`` processes, each with its own data
directory and worker, on one database, with one secret key, one files volume and one online
key file. An upload through node 1 verifies through node 2 with ngclient, pinned to init's
root: the metadata lives in the database, so both nodes serve the same bytes."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import BIN, _database_env, start_index
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.e2e


def _cluster_env(tmp_path, cleanups: list) -> dict:
    shared = tmp_path / "shared"
    shared.mkdir()
    database = _database_env(cleanups) or {
        "CHEESESHOP_DATABASE_URL": f"sqlite:///{shared / 'index.sqlite3'}"
    }
    return {
        **database,
        "CHEESESHOP_SECRET_KEY": "cluster-secret-" + "x" * 40,
        "CHEESESHOP_FILES_DIR": str(shared / "files"),
        "CHEESESHOP_TUF_ONLINE_KEY_URI": f"file2:{shared / 'online_key'}",
        "CHEESESHOP_TUF_BIT_LENGTH": "4",
        "CHEESESHOP_TASKS_BACKEND": "database",
    }


def test_an_upload_through_one_node_verifies_through_the_other(tmp_path):
    cleanups: list = []
    env = _cluster_env(tmp_path, cleanups)
    for node in ("node-1", "node-2"):
        (tmp_path / node).mkdir()
    keys_dir = tmp_path / "keys"
    nodes = []
    try:
        nodes.append(start_index(tmp_path / "node-1" / "data", env))
        nodes[0].cli("tuf", "init", "--keys-dir", str(keys_dir), "--root-keys", "1")
        nodes.append(start_index(tmp_path / "node-2" / "data", env))
        first, second = nodes
        trusted_root = (keys_dir / "1.root.json").read_bytes()
        (tmp_path / "dists").mkdir()
        wheel = make_wheel(tmp_path / "dists", "cluster-demo", "1.0")
        uploaded = first.post_wheel(
            first.create_user_with_token("publisher"), wheel, "cluster-demo"
        )
        assert uploaded.status_code == 200, uploaded.text

        page = "simple/cluster-demo/vnd.pypi.simple.v1.json"
        updater = second.published_updater(tmp_path, trusted_root, page, timeout=90)
        info = updater.get_targetinfo(page)
        (listed,) = json.loads(Path(updater.download_target(info)).read_bytes())["files"]
        assert listed["filename"] == wheel.name
        wheel_path = "packages/" + listed["url"].split("/packages/", 1)[1]
        downloaded = updater.download_target(updater.get_targetinfo(wheel_path))
        assert Path(downloaded).read_bytes() == wheel.read_bytes()
        timestamps = {
            requests.get(f"{n.url}/tuf/timestamp.json", timeout=30).content for n in nodes
        }
        assert len(timestamps) == 1

        # A node whose key URI points nowhere says so, and exits 1.
        broken = {**first.env, "CHEESESHOP_TUF_ONLINE_KEY_URI": "file2:/nonexistent/online_key"}
        status = subprocess.run(
            [str(BIN / "cheeseshop"), "tuf", "status"],
            env=broken,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert status.returncode == 1
        assert "online key: cannot sign: FileNotFoundError" in status.stdout
    finally:
        for node in nodes:
            node.stop()
        for cleanup in reversed(cleanups):
            cleanup()
    assert not os.path.exists(tmp_path / "node-2" / "data" / "tuf" / "metadata")
