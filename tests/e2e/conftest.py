"""A real cheeseshop for end-to-end tests: `cheeseshop serve` in a subprocess, on a free port,
with its own data directory (and its own PostgreSQL database when the suite runs on PostgreSQL).
"""

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from tuf.ngclient import Updater

from tests.databases import new_postgresql_database
from tests.processes import free_port, kill_tree, process_tree

BIN = Path(sys.executable).parent


@dataclass
class LiveProcess:
    """A long-running ``cheeseshop`` command (a worker, say) in a session of its own."""

    process: subprocess.Popen
    log: Path

    def stop(self) -> int:
        """SIGTERM to its group; whatever of its tree is left after 30 s is killed."""
        descendants = process_tree(self.process.pid)[1:]
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_tree(self.process.pid)
                self.process.wait()
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return self.process.returncode


@dataclass
class LiveIndex(LiveProcess):
    """``cheeseshop serve``, answering at ``url``."""

    url: str
    data_dir: Path
    env: dict

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    @property
    def upload_url(self) -> str:
        return f"{self.url}/legacy/"

    def cli(self, *args: str, input: str | None = None) -> str:
        return run_cli(self.env, *args, input=input)

    def create_user_with_token(self, username: str) -> str:
        self.cli("user", "create", username, "--email", f"{username}@example.com")
        return self.cli("token", "create", username, "--description", "e2e").strip()

    def twine_upload(
        self, token: str, *files: Path, check: bool = True, twine=BIN / "twine"
    ) -> subprocess.CompletedProcess:
        """``twine upload`` of ``files`` here with an API token; unless ``check`` is false,
        asserted to have succeeded."""
        argv = [twine, "upload", "--disable-progress-bar", "--non-interactive"]
        argv += ["--repository-url", self.upload_url, "-u", "__token__", "-p", token]
        result = subprocess.run(
            [str(arg) for arg in (*argv, *files)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"twine upload\n{result.stdout}\n{result.stderr}"
        return result

    def post_wheel(self, token: str, wheel: Path, name: str, version: str = "1.0"):
        """``wheel`` posted to the upload API as twine would, without twine; the response."""
        data = wheel.read_bytes()
        return requests.post(
            self.upload_url,
            auth=("__token__", token),
            data={
                ":action": "file_upload",
                "protocol_version": "1",
                "metadata_version": "2.4",
                "name": name,
                "version": version,
                "filetype": "bdist_wheel",
                "pyversion": "py3",
                "sha256_digest": hashlib.sha256(data).hexdigest(),
            },
            files={"content": (wheel.name, data, "application/octet-stream")},
            timeout=120,
        )

    def pip_install(self, venv_dir: Path, *requirements: str) -> str:
        """``pip install -v`` of ``requirements`` from this index alone, into a new virtual
        environment at ``venv_dir``; pip's output, once it has succeeded."""
        venv.create(venv_dir, with_pip=True)
        argv = [venv_dir / "bin" / "python", "-m", "pip", "install", "-v", "--no-cache-dir"]
        result = subprocess.run(
            [str(arg) for arg in (*argv, "--index-url", self.simple_url, *requirements)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"pip install\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def tuf_updater(self, workdir: Path, trusted_root: bytes) -> Updater:
        """tuf.ngclient for this index, trusting only ``trusted_root`` (read from the keys
        directory, never from the server), its metadata and targets kept in ``workdir``."""
        (workdir / "metadata").mkdir(parents=True, exist_ok=True)
        (workdir / "targets").mkdir(parents=True, exist_ok=True)
        return Updater(
            str(workdir / "metadata"),
            f"{self.url}/tuf/",
            str(workdir / "targets"),
            f"{self.url}/",
            bootstrap=trusted_root,
        )

    def published_updater(
        self, workdir: Path, trusted_root: bytes, *targets: str, timeout: float = 60
    ) -> Updater:
        """A refreshed ``tuf_updater`` once TUF here has published every one of ``targets``
        (publishing runs as a task after the upload); each attempt a fresh client in
        ``workdir``."""
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            updater = self.tuf_updater(workdir / f"client-{attempt}", trusted_root)
            updater.refresh()
            if all(updater.get_targetinfo(target) is not None for target in targets):
                return updater
            assert time.monotonic() < deadline, (
                f"TUF never published {targets}\n{self.log.read_text()[-3000:]}"
            )
            time.sleep(0.3)


def run_cli(env: dict, *args: str, input: str | None = None) -> str:
    """``cheeseshop <args>`` with ``env``; its output, once it has exited 0."""
    result = subprocess.run(
        [str(BIN / "cheeseshop"), *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"cheeseshop {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def start_command(env: dict, log: Path, *args: str) -> LiveProcess:
    """``cheeseshop <args>`` left running, its output in ``log``."""
    process = subprocess.Popen(
        [str(BIN / "cheeseshop"), *args],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return LiveProcess(process=process, log=log)


def _database_env(stack) -> dict:
    base = os.environ.get("CHEESESHOP_TEST_DATABASE_URL")
    if not base:
        return {}
    return {"CHEESESHOP_DATABASE_URL": new_postgresql_database(base, "cheeseshop_e2e", stack)}


def index_env(data_dir: Path, env_extra: dict | None = None) -> dict:
    """The environment of an index on ``data_dir``: this one's, without its CHEESESHOP_* and
    DJANGO_* variables, plus ``env_extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env.update(
        {
            "CHEESESHOP_DATA_DIR": str(data_dir),
            "CHEESESHOP_WEB_WORKERS": "1",
            "CHEESESHOP_UPLOAD_REQUIRES_2FA": "false",
            "CHEESESHOP_MANAGE_REQUIRES_2FA": "false",
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    env.update(env_extra or {})
    return env


def start_index(
    data_dir: Path, env_extra: dict | None = None, serve_args: tuple[str, ...] = ()
) -> LiveIndex:
    """``cheeseshop serve [serve_args]`` on a free port, once it answers."""
    port = free_port()
    env = index_env(data_dir, env_extra)
    log = data_dir.parent / f"serve-{port}.log"
    process = subprocess.Popen(
        [
            str(BIN / "cheeseshop"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *serve_args,
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cheeseshop serve exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/simple/", timeout=2):
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError(f"cheeseshop serve did not answer:\n{log.read_text()}")
    return LiveIndex(url=url, data_dir=data_dir, env=env, process=process, log=log)


@contextlib.contextmanager
def running_index(data_dir: Path, env_extra: dict | None = None) -> Iterator[LiveIndex]:
    """``cheeseshop serve`` on the suite's database (a fresh PostgreSQL database when the
    suite runs on PostgreSQL, else SQLite in ``data_dir``), stopped and dropped afterwards."""
    cleanups: list = []
    db_env = _database_env(cleanups)
    index = start_index(data_dir, {**db_env, **(env_extra or {})})
    try:
        yield index
    finally:
        index.stop()
        for cleanup in reversed(cleanups):
            cleanup()


@pytest.fixture
def live_index(tmp_path):
    with running_index(tmp_path / "data") as index:
        yield index


@pytest.fixture(scope="session")
def tool_bin() -> Path:
    """Where twine, uv and pip of the test environment live."""
    for tool in ("twine", "uv"):
        assert shutil.which(tool, path=str(BIN)), (
            f"{tool} is not installed next to {sys.executable}"
        )
    return BIN
