"""A real ``cheeseshop serve`` storing its files in a real S3 server (moto's), configured from
the environment alone: twine uploads into the bucket, pip and TUF's ngclient download through
the presigned redirect, and a deleted project's files are gone from both."""

import json
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import BIN, LiveIndex, running_index
from tests.e2e.projects import build, make_project

pytestmark = pytest.mark.e2e

URL_EXPIRY = 30


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str) -> tuple[int, dict, bytes]:
    """One request, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _run(*cmd, env=None) -> str:
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _storage_probe(index, **env) -> str:
    """The storage probe's answer, in a process configured by ``index``'s environment and
    ``env``."""
    code = (
        "from cheeseshop.health import run_probes; "
        "print(*[r.problem for r in run_probes() if r.name == 'storage'])"
    )
    return _run(
        BIN / "cheeseshop", "manage", "shell", "--no-imports", "-c", code, env={**index.env, **env}
    )


def _verified_target(index: LiveIndex, trusted_root: bytes, workdir: Path, target: str) -> bytes:
    """``target`` downloaded and verified by ngclient, once TUF has published it."""
    updater = index.published_updater(workdir, trusted_root, target)
    return Path(updater.download_target(updater.get_targetinfo(target))).read_bytes()


def test_files_go_to_the_bucket_and_come_back_through_presigned_redirects(s3_server, tmp_path):
    env = {
        **s3_server.env,
        "CHEESESHOP_S3_URL_EXPIRY": str(URL_EXPIRY),
        "CHEESESHOP_TASKS_BACKEND": "database",
        "CHEESESHOP_TUF_BIT_LENGTH": "4",
    }
    sdist, wheel = build(make_project(tmp_path / "src", "e2e-s3", "1.0"), tmp_path / "dist")
    with running_index(tmp_path / "data", env) as index:
        keys_dir = tmp_path / "keys"
        index.cli("tuf", "init", "--keys-dir", str(keys_dir), "--bit-length", "4")
        token = index.create_user_with_token("owner")
        index.twine_upload(token, sdist, wheel)

        # The objects are in the bucket under the prefix; nothing is on the local disk.
        page = urllib.request.Request(
            f"{index.url}/simple/e2e-s3/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        )
        with urllib.request.urlopen(page, timeout=10) as response:
            files = {f["filename"]: f for f in json.load(response)["files"]}
        paths = {name: f["url"].split("/packages/", 1)[1] for name, f in files.items()}
        stored = [paths[sdist.name], paths[wheel.name], f"{paths[wheel.name]}.metadata"]
        assert sorted(s3_server.object_keys()) == sorted(f"files/{path}" for path in stored)
        assert not (index.data_dir / "files").exists()

        # /packages/ answers a redirect to a presigned URL that lives URL_EXPIRY seconds.
        status, headers, body = _get(f"{index.url}/packages/{paths[wheel.name]}")
        assert status == 302, body
        location = urlsplit(headers["Location"])
        signed = parse_qs(location.query)
        assert f"{location.scheme}://{location.netloc}" == s3_server.endpoint_url
        assert location.path == f"/{s3_server.bucket}/files/{paths[wheel.name]}"
        assert signed["X-Amz-Expires"] == [str(URL_EXPIRY)]
        signed_at = datetime.strptime(signed["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
        assert abs((datetime.now(UTC).replace(tzinfo=None) - signed_at).total_seconds()) < 60
        assert headers["Cache-Control"] == f"public, max-age={URL_EXPIRY // 2}"
        with urllib.request.urlopen(headers["Location"], timeout=10) as stored:
            assert stored.read() == wheel.read_bytes()

        # pip installs through the redirects, its wheel's metadata (PEP 658) too.
        pip = index.pip_install(tmp_path / "pip-venv", "e2e-s3")
        assert "Successfully installed e2e-s3-1.0" in pip
        assert ".whl.metadata" in pip, "pip did not use the PEP 658 metadata file"

        # TUF's client follows the redirect of a hash-prefixed target path and verifies the bytes.
        trusted_root = (keys_dir / "1.root.json").read_bytes()
        target = f"packages/{paths[wheel.name]}"
        verified = _verified_target(index, trusted_root, tmp_path / "tuf", target)
        assert verified == wheel.read_bytes()

        # A deleted project's files are 404, not redirects, and gone from the bucket.
        index.cli(
            "manage",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "from cheeseshop.packaging.changes import delete_project; "
            "from cheeseshop.packaging.models import Project; "
            "delete_project(Project.objects.get(normalized_name='e2e-s3'), "
            "actor=get_user_model().objects.get(username='owner'))",
        )
        for path in (paths[wheel.name], f"{paths[wheel.name]}.metadata", paths[sdist.name]):
            status, headers, _ = _get(f"{index.url}/packages/{path}")
            assert status == 404, path
            assert "Location" not in headers
        assert s3_server.object_keys() == []

        # The storage probe: passes here, and names a bucket that does not exist.
        assert _storage_probe(index).strip() == "None"
        assert _storage_probe(index, CHEESESHOP_S3_BUCKET="no-such-bucket").strip() == (
            f"bucket 'no-such-bucket' does not exist at {s3_server.endpoint_url} "
            "(CHEESESHOP_S3_BUCKET)"
        )
