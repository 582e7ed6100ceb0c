#!/usr/bin/env python3
"""Benchmark cheeseshop against pypiserver and devpi in one run, and report ratios.

Builds a synthetic corpus of tiny but valid distributions, starts each index on its own
loopback port (the peers from their own virtualenvs under ``benchmarks/.work/venvs``), uploads
the corpus with one ``twine upload`` per index, then loads ``/simple/<project>/`` with ``wrk``
and downloads a few packages with ``pip``. One index runs at a time so that they never compete
for the cores. See ``benchmarks/README.md`` for how to read the output.

Standard library only; external programs: ``wrk``, ``twine``, ``pip``, ``python -m venv``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import io
import itertools
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SERVER_NAMES = ("cheeseshop", "pypiserver", "devpi")
PEERS = ("pypiserver", "devpi")
# With --baseline-bin: another cheeseshop (an earlier commit's, say), run in the same run.
BASELINE = "baseline"

# What each peer's virtualenv holds. watchdog 2.2.1: newer releases make pypiserver's cache
# invalidate itself on every read (pypiserver issue #502), which would benchmark a bug.
PEER_REQUIREMENTS = {
    "pypiserver": ["pypiserver[passlib,cache]>=2.4,<2.5", "watchdog==2.2.1", "gunicorn"],
    "devpi": ["devpi-server>=6,<7", "devpi-client"],
    "client": ["twine"],
}
VERSIONS = ("1.0.0", "1.1.0", "2.0.0")
# Letters that survive PyPI's "ultranormalisation" unchanged: l and i fold into 1, o into 0,
# so suffixes built from these never count as "too similar" to each other.
NAME_LETTERS = "abcdefghjkmnpqrstuvwxyz"
CORPUS_TIMESTAMP = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
USER_AGENT = "pip/24.0 index_bench"
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password"  # noqa: S105 - throwaway, loopback-only
READY_TIMEOUT_S = 90.0
IDLE_TIMEOUT_S = 180.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A step failed in a way that makes one server's figures meaningless."""


# --- Corpus -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    projects: list[str]
    files: list[Path]


def project_names(count: int) -> list[str]:
    """``bench-proj-aaa``, ``bench-proj-aab``, ...: distinct even after ultranormalisation."""
    capacity = len(NAME_LETTERS) ** 3
    if not 1 <= count <= capacity:
        raise BenchError(f"--projects must be between 1 and {capacity}")
    suffixes = itertools.islice(itertools.product(NAME_LETTERS, repeat=3), count)
    return ["bench-proj-" + "".join(letters) for letters in suffixes]


def core_metadata(name: str, version: str) -> str:
    suffix = name.rsplit("-", 1)[1]
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {name}\n"
        f"Version: {version}\n"
        f"Summary: Synthetic project {suffix} for the cheeseshop index benchmark\n"
        "Author-email: Bench <bench@example.com>\n"
        "License: MIT\n"
        "Requires-Python: >=3.8\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Operating System :: OS Independent\n"
        "Description-Content-Type: text/markdown\n"
        "\n"
        f"# {name}\n\nA tiny synthetic distribution, version {version}.\n"
    )


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def build_wheel(out_dir: Path, name: str, version: str) -> Path:
    """A PEP 427 wheel: one module, METADATA, WHEEL and a RECORD that hashes them."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    members = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist_info}/METADATA": core_metadata(name, version).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: index_bench\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record_lines = [f"{path},{record_hash(data)},{len(data)}" for path, data in members.items()]
    record_lines.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()

    path = out_dir / f"{module}-{version}-py3-none-any.whl"
    date_time = CORPUS_TIMESTAMP.timetuple()[:6]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def build_sdist(out_dir: Path, name: str, version: str) -> Path:
    """A PEP 625 sdist: ``<module>-<version>.tar.gz`` with ``<module>-<version>/PKG-INFO``."""
    module = name.replace("-", "_")
    top = f"{module}-{version}"
    pyproject = (
        '[build-system]\nrequires = ["flit_core>=3.2,<4"]\n'
        'build-backend = "flit_core.buildapi"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        'description = "Synthetic project for the cheeseshop index benchmark"\n'
        'requires-python = ">=3.8"\n'
    )
    members = {
        f"{top}/PKG-INFO": core_metadata(name, version).encode(),
        f"{top}/pyproject.toml": pyproject.encode(),
        f"{top}/{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mtime = int(CORPUS_TIMESTAMP.timestamp())
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    path = out_dir / f"{top}.tar.gz"
    # mtime=0 in the gzip header keeps the bytes identical from run to run.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return path


def build_corpus(out_dir: Path, project_count: int) -> Corpus:
    out_dir.mkdir(parents=True, exist_ok=True)
    projects = project_names(project_count)
    files = []
    for name in projects:
        for version in VERSIONS:
            files.append(build_wheel(out_dir, name, version))
            files.append(build_sdist(out_dir, name, version))
    return Corpus(projects=projects, files=files)


def expected_filenames(project: str) -> list[str]:
    module = project.replace("-", "_")
    names = []
    for version in VERSIONS:
        names += [f"{module}-{version}-py3-none-any.whl", f"{module}-{version}.tar.gz"]
    return names


# --- Processes ----------------------------------------------------------------------------------


class ServerProcess:
    """A server started in its own session; stopping it stops every process it started.

    Servers may start children in sessions of their own (cheeseshop's serve does), so the
    server is tracked as a process tree, not only as a process group.
    """

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log_file = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        log(f"{name}: starting {' '.join(argv[:3])} ...")
        self.popen = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def is_running(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM to the server's group; after 15 s, or for any process of its tree still
        alive once it has exited, SIGTERM then SIGKILL."""
        tree = process_tree(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: did not stop on SIGTERM, killing")
        tree.update(process_tree(self.pid) if self.is_running() else {})
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [pid for pid, stat in tree.items() if is_same_process(pid, stat)]
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 5
            while alive and time.monotonic() < deadline:
                time.sleep(0.1)
                alive = [pid for pid in alive if is_same_process(pid, tree[pid])]
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()
        self._log_file.close()

    def tail_of_log(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass(frozen=True)
class ProcessStat:
    parent: int
    start_ticks: int
    cpu_ticks: int
    rss_pages: int
    zombie: bool


def read_proc_stat(pid: int) -> ProcessStat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may contain spaces, start at field 3 ("state").
    fields = text.rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return ProcessStat(
        parent=int(fields[1]),
        start_ticks=int(fields[19]),
        # A process's own CPU plus that of the children it has reaped.
        cpu_ticks=utime + stime + cutime + cstime,
        rss_pages=int(fields[21]),
        zombie=fields[0] == "Z",
    )


def process_tree(root: int) -> dict[int, ProcessStat]:
    """root and all of its descendants, by pid."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read_proc_stat(int(entry))
            if stat is not None:
                stats[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        children.setdefault(stat.parent, []).append(pid)
    tree, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid]
            frontier += children.get(pid, [])
    return tree


def is_same_process(pid: int, seen: ProcessStat) -> bool:
    """Still alive, and not a new process that reused the pid."""
    now = read_proc_stat(pid)
    return now is not None and not now.zombie and now.start_ticks == seen.start_ticks


def tree_cpu_seconds(root: int) -> float:
    ticks = sum(stat.cpu_ticks for stat in process_tree(root).values())
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(root: int) -> float:
    pages = sum(stat.rss_pages for stat in process_tree(root).values())
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def tree_pss_mb(root: int) -> float | None:
    """Proportional set size: pages shared between the tree's processes (forked workers)
    are counted once in total, where RSS counts them in every process."""
    kib = 0
    for pid in process_tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            return None
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        if match is None:
            return None
        kib += int(match.group(1))
    return kib / 1024


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_checked(argv: list[str], log_path: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run a setup command, its output going to log_path; raise with the log's tail on failure."""
    with open(log_path, "ab") as log_file:
        result = subprocess.run(
            argv, check=False, stdout=log_file, stderr=subprocess.STDOUT, **kwargs
        )
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
        raise BenchError(f"{' '.join(argv[:4])} ... exited {result.returncode}:\n{tail}")
    return result


def ensure_venv(path: Path, requirements: list[str], log_path: Path) -> Path:
    """Create (once) a virtualenv holding requirements; return its bin directory."""
    stamp = path / "index-bench-requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    if stamp.exists() and stamp.read_text() == wanted:
        return path / "bin"
    log(f"creating virtualenv {path.relative_to(BENCH_DIR)} ({', '.join(requirements)})")
    if path.exists():
        shutil.rmtree(path)
    run_checked([sys.executable, "-m", "venv", str(path)], log_path)
    pip = [str(path / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    run_checked([*pip, "install", *requirements], log_path)
    stamp.write_text(wanted)
    return path / "bin"


def installed_versions(bin_dir: Path, distributions: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))"
    )
    result = subprocess.run(
        [str(bin_dir / "python"), "-c", code, *distributions],
        check=False,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout) if result.returncode == 0 else {}


# --- HTTP helpers -------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "text/html"}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_until_ready(url: str, server: ServerProcess, timeout: float = READY_TIMEOUT_S) -> float:
    """Poll url until it answers below 500; return the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not server.is_running():
            raise BenchError(f"{server.name} exited during start-up:\n{server.tail_of_log()}")
        try:
            status, _ = http_get(url, timeout=2)
            if status < 500:
                return time.monotonic() - started
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise BenchError(f"{server.name} not ready after {timeout:.0f} s:\n{server.tail_of_log()}")


def wait_until_idle(root: int, timeout: float = IDLE_TIMEOUT_S) -> float:
    """Wait until the server's processes use under 5% of a core for 2 s (background tasks done)."""
    started = time.monotonic()
    quiet_samples = 0
    previous = tree_cpu_seconds(root)
    while quiet_samples < 4:
        if time.monotonic() - started > timeout:
            raise BenchError(f"server still busy {timeout:.0f} s after the upload")
        time.sleep(0.5)
        current = tree_cpu_seconds(root)
        quiet_samples = quiet_samples + 1 if current - previous < 0.025 else 0
        previous = current
    return time.monotonic() - started


# --- Servers ------------------------------------------------------------------------------------


@dataclass
class IndexServer:
    """One index under test: how to start it and where its upload and simple URLs are."""

    name: str
    work_dir: Path
    port: int
    upload_user: str = ""
    upload_password: str = ""
    process: ServerProcess | None = None
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def upload_url(self) -> str:
        raise NotImplementedError

    @property
    def simple_path(self) -> str:
        """Path of the simple index root, with a trailing slash."""
        return "/simple/"

    @property
    def readiness_url(self) -> str:
        return self.base_url + self.simple_path

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def _spawn(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.process = ServerProcess(
            self.name,
            argv,
            env={**os.environ, **(env or {})},
            cwd=self.work_dir,
            log_path=self.work_dir / "server.log",
        )
        waited = wait_until_ready(self.readiness_url, self.process)
        log(f"{self.name}: ready on port {self.port} after {waited:.1f} s")


@dataclass
class PypiserverServer(IndexServer):
    """pypiserver under gunicorn with its watchdog cache, its strongest deployment.

    gthread rather than gevent: under gevent's monkey-patching the cache's watchdog observer
    blocks the worker (requests time out), and without the cache pypiserver rescans the
    package directory on every request (~30 req/s on this corpus).
    """

    bin_dir: Path = Path()
    reported_distributions: ClassVar = ("pypiserver", "gunicorn", "watchdog")

    @property
    def upload_url(self) -> str:
        return self.base_url + "/"

    def start(self) -> None:
        packages = self.work_dir / "packages"
        packages.mkdir()
        htpasswd = self.work_dir / "htpasswd"
        make_htpasswd = (
            "import sys; from passlib.apache import HtpasswdFile as H\n"
            "h = H(sys.argv[1], new=True); h.set_password(sys.argv[2], sys.argv[3]); h.save()"
        )
        run_checked(
            [str(self.bin_dir / "python"), "-c", make_htpasswd, str(htpasswd), BENCH_USER,
             BENCH_PASSWORD],
            self.work_dir / "setup.log",
        )  # fmt: skip
        self.upload_user, self.upload_password = BENCH_USER, BENCH_PASSWORD
        app = (
            f"pypiserver:app(roots=[{str(packages)!r}], password_file={str(htpasswd)!r}, "
            "authenticate=['update'], disable_fallback=True)"
        )
        self._spawn(
            [str(self.bin_dir / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4",
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", app]
        )  # fmt: skip


@dataclass
class DevpiServer(IndexServer):
    """devpi-server, offline, no root/pypi mirror; uploads to bench/dev with a login token."""

    bin_dir: Path = Path()
    reported_distributions: ClassVar = ("devpi-server", "devpi-client")

    @property
    def upload_url(self) -> str:
        return f"{self.base_url}/{BENCH_USER}/dev/"

    @property
    def simple_path(self) -> str:
        return f"/{BENCH_USER}/dev/+simple/"

    @property
    def readiness_url(self) -> str:
        return self.base_url + "/+api"

    def start(self) -> None:
        server_dir = self.work_dir / "serverdir"
        setup_log = self.work_dir / "setup.log"
        run_checked(
            [str(self.bin_dir / "devpi-init"), "--serverdir", str(server_dir), "--no-root-pypi",
             "--root-passwd", "root"],
            setup_log,
        )  # fmt: skip
        self._spawn(
            [str(self.bin_dir / "devpi-server"), "--serverdir", str(server_dir),
             "--host", "127.0.0.1", "--port", str(self.port), "--offline-mode"]
        )  # fmt: skip
        client_dir = self.work_dir / "client"
        devpi = [str(self.bin_dir / "devpi"), "--clientdir", str(client_dir)]
        run_checked([*devpi, "use", self.base_url], setup_log)
        run_checked(
            [*devpi, "user", "-c", BENCH_USER, f"password={BENCH_PASSWORD}",
             "email=bench@example.com"],
            setup_log,
        )  # fmt: skip
        run_checked([*devpi, "login", BENCH_USER, "--password", BENCH_PASSWORD], setup_log)
        run_checked([*devpi, "index", "-c", "dev", "bases="], setup_log)
        self.upload_user, self.upload_password = BENCH_USER, self.login_token()

    def login_token(self) -> str:
        """devpi's login token: as twine's password it skips an argon2 hash (~143 ms) per file."""
        body = json.dumps({"user": BENCH_USER, "password": BENCH_PASSWORD}).encode()
        request = urllib.request.Request(
            self.base_url + "/+login",
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["result"]["password"]


@dataclass
class CheeseshopServer(IndexServer):
    """cheeseshop from the repository's environment, with a fresh data directory and token."""

    executable: str = "cheeseshop"

    @property
    def upload_url(self) -> str:
        return self.base_url + "/legacy/"

    def environment(self) -> dict[str, str]:
        unlimited = "1000000/hour"  # the corpus creates --projects projects in a few seconds
        return {
            "CHEESESHOP_DATA_DIR": str(self.work_dir / "data"),
            "CHEESESHOP_UPLOAD_REQUIRES_2FA": "false",
            "CHEESESHOP_PROJECT_CREATE_USER_LIMIT": unlimited,
            "CHEESESHOP_PROJECT_CREATE_IP_LIMIT": unlimited,
            "CHEESESHOP_DEBUG": "false",
        }

    def start(self) -> None:
        self._spawn(
            [self.executable, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            self.environment(),
        )
        self.create_uploader()

    def create_uploader(self) -> None:
        """The bench user and its API token, as upload_user / upload_password."""
        full_env = {**os.environ, **self.environment()}
        setup_log = self.work_dir / "setup.log"
        run_checked(
            # --totp: tokens are only made for users with a second factor (as uploads need).
            [
                self.executable,
                "user",
                "create",
                BENCH_USER,
                "--email",
                "bench@example.com",
                "--totp",
            ],
            setup_log,
            env=full_env,
            cwd=self.work_dir,
            stdin=subprocess.DEVNULL,
        )
        result = subprocess.run(
            [self.executable, "token", "create", BENCH_USER, "--description", "bench"],
            check=False,
            env=full_env,
            cwd=self.work_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        with open(setup_log, "a") as log_file:
            log_file.write(result.stderr)
        if result.returncode != 0:
            raise BenchError(
                f"cheeseshop token create exited {result.returncode}: {result.stderr}"
            )
        prefix = os.environ.get("CHEESESHOP_TOKEN_PREFIX", "pypi-")
        tokens = re.findall(rf"{re.escape(prefix)}[A-Za-z0-9_\-]+", result.stdout)
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        if not tokens and not lines:
            raise BenchError("cheeseshop token create printed no token")
        self.upload_user, self.upload_password = "__token__", tokens[-1] if tokens else lines[-1]


PEER_CLASSES = {"pypiserver": PypiserverServer, "devpi": DevpiServer}


# --- Measurements -------------------------------------------------------------------------------


def measure_upload(server: IndexServer, corpus: Corpus, twine: Path, log_dir: Path) -> dict:
    log(f"{server.name}: twine upload of {len(corpus.files)} files")
    argv = [
        str(twine), "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", server.upload_url,
        "-u", server.upload_user, "-p", server.upload_password,
        *[str(path) for path in corpus.files],
    ]  # fmt: skip
    env = {**os.environ, "TWINE_NON_INTERACTIVE": "1", "NO_COLOR": "1"}
    for name in ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY", "TWINE_REPOSITORY_URL"):
        env.pop(name, None)
    log_path = log_dir / f"{server.name}-twine.log"
    started = time.monotonic()
    with open(log_path, "wb") as log_file:
        result = subprocess.run(
            argv, check=False, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        output = log_path.read_text(errors="replace").splitlines()
        uploaded = len({line for line in output if line.startswith("Uploading ")})
        tail = "\n".join(output[-6:])
        raise BenchError(
            f"twine upload to {server.name} exited {result.returncode} at file {uploaded} "
            f"(log: {log_path}):\n{tail}"
        )
    return {
        "files": len(corpus.files),
        "seconds": seconds,
        "files_per_s": len(corpus.files) / seconds,
    }


def verify_simple_pages(server: IndexServer, corpus: Corpus) -> None:
    """The pages under load must be the real thing: 200, every uploaded file linked."""
    for project in {corpus.projects[0], corpus.projects[-1]}:
        url = f"{server.base_url}{server.simple_path}{project}/"
        status, body = http_get(url)
        if status != 200:
            raise BenchError(f"{server.name}: GET {url} answered {status}, not 200")
        missing = [name for name in expected_filenames(project) if name not in body]
        if missing:
            raise BenchError(f"{server.name}: {url} does not link {', '.join(missing)}")


WRK_SCRIPT = """\
-- Generated by index_bench.py: rotates over every project's simple page.
local paths = {
%(paths)s
}
local thread_count = 0
function setup(thread)
  -- Threads start at different projects so that they do not request the same page in step.
  thread:set("start_offset", thread_count * math.floor(#paths / %(threads)d))
  thread_count = thread_count + 1
end
local position = 0
function init(args)
  position = start_offset or 0
end
function request()
  position = position + 1
  return wrk.format(nil, paths[(position %% #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'INDEX_BENCH_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, '
    .. '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, '
    .. '"latency_us": {"mean": %%.1f, "p50": %%d, "p90": %%d, "p99": %%d, "max": %%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""


def write_wrk_script(path: Path, server: IndexServer, corpus: Corpus, threads: int) -> None:
    paths = ",\n".join(f'  "{server.simple_path}{project}/"' for project in corpus.projects)
    path.write_text(WRK_SCRIPT % {"paths": paths, "threads": threads})


def run_wrk(
    server: IndexServer, script: Path, *, wrk: str, connections: int, threads: int, seconds: float
) -> dict:
    argv = [
        wrk, "-t", str(min(threads, connections)), "-c", str(connections),
        "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
        "-H", f"User-Agent: {USER_AGENT}", "-H", "Accept: text/html",
        "-s", str(script), server.base_url,
    ]  # fmt: skip
    root = server.process.pid
    cpu_before = tree_cpu_seconds(root)
    result = subprocess.run(argv, check=False, capture_output=True, text=True)
    cpu_used = tree_cpu_seconds(root) - cpu_before
    marker = re.search(r"^INDEX_BENCH_RESULT (\{.*\})$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or marker is None:
        raise BenchError(f"wrk against {server.name} failed: {result.stderr or result.stdout}")
    raw = json.loads(marker.group(1))
    requests = raw["requests"]
    seconds_run = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "requests": requests,
        "req_per_s": requests / seconds_run,
        "p50_ms": raw["latency_us"]["p50"] / 1000,
        "p90_ms": raw["latency_us"]["p90"] / 1000,
        "p99_ms": raw["latency_us"]["p99"] / 1000,
        "max_ms": raw["latency_us"]["max"] / 1000,
        "errors": raw["errors"],
        "bytes_per_request": raw["bytes"] / requests if requests else 0,
        "server_cpu_ms_per_request": cpu_used * 1000 / requests if requests else None,
    }


def measure_pip_download(
    server: IndexServer, corpus: Corpus, pip: Path, count: int, scratch: Path
) -> dict | None:
    if count <= 0:
        return None
    step = max(1, len(corpus.projects) // count)
    projects = corpus.projects[::step][:count]
    # No pip configuration from the machine: only the index under test is asked.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    started = time.monotonic()
    for project in projects:
        dest = Path(tempfile.mkdtemp(dir=scratch))
        argv = [
            str(pip), "download", "--no-deps", "--no-cache-dir", "--disable-pip-version-check",
            "-q", "--index-url", server.base_url + server.simple_path, "-d", str(dest),
            f"{project}=={VERSIONS[-1]}",
        ]  # fmt: skip
        result = subprocess.run(argv, check=False, env=env, capture_output=True, text=True)
        if result.returncode != 0 or not any(dest.iterdir()):
            raise BenchError(f"pip download {project} from {server.name} failed: {result.stderr}")
        shutil.rmtree(dest)
    total = time.monotonic() - started
    return {
        "packages": len(projects),
        "seconds": total,
        "seconds_per_package": total / len(projects),
    }


# --- Report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    higher_is_better: bool
    digits: int = 1


def figures(connection_counts: list[int]) -> list[Figure]:
    rows = [Figure("upload.files_per_s", "twine upload, files/s", True)]
    for c in connection_counts:
        rows += [
            Figure(f"simple.c{c}.req_per_s", f"/simple/<p>/ req/s, {c} conns", True, 0),
            Figure(f"simple.c{c}.p50_ms", f"/simple/<p>/ p50 ms, {c} conns", False, 2),
            Figure(f"simple.c{c}.p99_ms", f"/simple/<p>/ p99 ms, {c} conns", False, 2),
            Figure(
                f"simple.c{c}.server_cpu_ms_per_request", f"server CPU ms/request, {c} conns",
                False, 2,
            ),
        ]  # fmt: skip
    rows += [
        Figure("pip_download.seconds_per_package", "pip download --no-deps, s/package", False, 2),
        Figure("memory.pss_mb", "server memory (PSS) after load, MB", False, 0),
        Figure("memory.rss_mb", "server RSS after load, MB (sum of processes)", False, 0),
    ]
    return rows


def lookup(result: dict, key: str):
    value = result
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def best_peer(results: dict[str, dict], figure: Figure) -> tuple[str, float] | None:
    values = [
        (name, lookup(results[name], figure.key))
        for name in PEERS
        if name in results and lookup(results[name], figure.key) is not None
    ]
    if not values:
        return None
    pick = max if figure.higher_is_better else min
    return pick(values, key=lambda item: item[1])


def ratios(results: dict[str, dict], rows: list[Figure]) -> dict[str, dict]:
    """cheeseshop's figure divided by the best peer's, per figure."""
    out = {}
    mine = results.get("cheeseshop")
    for figure in rows:
        best = best_peer(results, figure)
        value = lookup(mine, figure.key) if mine else None
        if best is None or value is None or not best[1]:
            continue
        out[figure.key] = {
            "best_peer": best[0],
            "best_peer_value": best[1],
            "cheeseshop_value": value,
            "ratio": value / best[1],
            "higher_is_better": figure.higher_is_better,
        }
    return out


def baseline_ratios(results: dict[str, dict], rows: list[Figure]) -> dict[str, float]:
    """cheeseshop's figure divided by the baseline cheeseshop's, per figure."""
    mine, baseline = results.get("cheeseshop"), results.get(BASELINE)
    if not mine or not baseline:
        return {}
    out = {}
    for figure in rows:
        value, base = lookup(mine, figure.key), lookup(baseline, figure.key)
        if value is not None and base:
            out[figure.key] = value / base
    return out


def render_markdown(report: dict, rows: list[Figure]) -> str:
    results = report["servers"]
    names = [n for n in (BASELINE, *SERVER_NAMES) if n in results]
    against_baseline = report.get("baseline_ratios", {})
    header = ["figure", "better", *names, "cheeseshop / best peer"]
    if BASELINE in results:
        header.append("cheeseshop / baseline")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for figure in rows:
        cells = [figure.label, "higher" if figure.higher_is_better else "lower"]
        for name in names:
            value = lookup(results[name], figure.key)
            cells.append("—" if value is None else f"{value:,.{figure.digits}f}")
        ratio = report["ratios"].get(figure.key)
        cells.append(f"{ratio['ratio']:.2f}x ({ratio['best_peer']})" if ratio else "—")
        if BASELINE in results:
            baseline = against_baseline.get(figure.key)
            cells.append(f"{baseline:.2f}x" if baseline is not None else "—")
        lines.append("| " + " | ".join(cells) + " |")
    params = report["parameters"]
    notes = [
        "",
        f"{params['projects']} projects x {len(VERSIONS)} versions x (wheel + sdist) = "
        f"{params['files']} files; wrk {params['threads']} threads, "
        f"{params['duration_s']} s per run; {report['machine']['cpus']} CPUs shared by "
        "servers and clients.",
        "Ratios > 1 favour cheeseshop where higher is better, < 1 where lower is better.",
    ]
    for name in names:
        if "error" in results[name]:
            summary = " ".join(results[name]["error"].split())
            notes.append(f"{name}: FAILED — {summary[:400]}")
        errors = [
            f"{c}: {sum(r['errors'].values())}"
            for c, r in results[name].get("simple", {}).items()
            if sum(r["errors"].values())
        ]
        if errors:
            notes.append(f"{name}: wrk socket/status errors per run ({', '.join(errors)})")
    return "\n".join(lines + notes)


def machine_info() -> dict:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
    }


def git_revision() -> str | None:
    result = subprocess.run(
        ["git", "-C", str(REPO_DIR), "rev-parse", "HEAD"],
        check=False,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() or None


# --- Driver -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200, help="projects in the corpus")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument(
        "--only",
        default=",".join(SERVER_NAMES),
        help="comma-separated servers to run (default: all: %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep this run's work directory")
    parser.add_argument(
        "--cheeseshop-bin", default="cheeseshop", help="cheeseshop executable (default: on PATH)"
    )
    parser.add_argument(
        "--baseline-bin",
        default=None,
        help="another cheeseshop executable (an earlier commit's) to measure in the same run",
    )
    parser.add_argument(
        "--connections", default="2,16", help="wrk connection counts (default: %(default)s)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--pip-downloads", type=int, default=5, help="packages to pip download (0: skip)"
    )
    parser.add_argument("--wrk", default="wrk", help="wrk executable")
    parser.add_argument(
        "--work-dir", type=Path, default=BENCH_DIR / ".work", help="venvs and run data"
    )
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(SERVER_NAMES))
    if unknown or not args.only:
        parser.error(f"--only takes a subset of {','.join(SERVER_NAMES)}, not {unknown}")
    args.connections = [int(c) for c in args.connections.split(",")]
    return args


def make_servers(args: argparse.Namespace, run_dir: Path) -> list[IndexServer]:
    servers: list[IndexServer] = []
    log_dir = run_dir / "logs"
    if args.baseline_bin:
        work_dir = run_dir / BASELINE
        work_dir.mkdir(parents=True)
        servers.append(
            CheeseshopServer(
                BASELINE, work_dir, free_port(), executable=args.baseline_bin,
                versions={"executable": args.baseline_bin},
            )
        )  # fmt: skip
    for name in SERVER_NAMES:
        if name not in args.only:
            continue
        work_dir = run_dir / name
        work_dir.mkdir(parents=True)
        if name == "cheeseshop":
            server = CheeseshopServer(
                name, work_dir, free_port(), executable=args.cheeseshop_bin,
                versions={"git": git_revision() or "unknown"},
            )  # fmt: skip
        else:
            cls = PEER_CLASSES[name]
            venv = args.work_dir / "venvs" / name
            bin_dir = ensure_venv(venv, PEER_REQUIREMENTS[name], log_dir / f"venv-{name}.log")
            server = cls(
                name, work_dir, free_port(), bin_dir=bin_dir,
                versions=installed_versions(bin_dir, list(cls.reported_distributions)),
            )  # fmt: skip
        servers.append(server)
    return servers


def benchmark_server(
    server: IndexServer, corpus: Corpus, args: argparse.Namespace, client_bin: Path, run_dir: Path
) -> dict:
    result: dict = {"versions": server.versions, "port": server.port}
    try:
        server.start()
        result["upload"] = measure_upload(server, corpus, client_bin / "twine", run_dir / "logs")
        log(f"{server.name}: {result['upload']['files_per_s']:.1f} files/s; waiting for idle")
        result["settle_s"] = wait_until_idle(server.process.pid)
        verify_simple_pages(server, corpus)
        script = run_dir / f"wrk-{server.name}.lua"
        write_wrk_script(script, server, corpus, args.threads)
        warmup = min(3.0, args.duration)
        run_wrk(
            server, script, wrk=args.wrk, connections=args.connections[0],
            threads=args.threads, seconds=warmup,
        )  # fmt: skip
        result["simple"] = {}
        for connections in args.connections:
            log(f"{server.name}: wrk {connections} connections, {args.duration:g} s")
            measured = run_wrk(
                server, script, wrk=args.wrk, connections=connections,
                threads=args.threads, seconds=args.duration,
            )  # fmt: skip
            result["simple"][f"c{connections}"] = measured
            log(
                f"{server.name}: {measured['req_per_s']:.0f} req/s, p50 {measured['p50_ms']:.2f}"
                f" ms, p99 {measured['p99_ms']:.2f} ms"
            )
        result["pip_download"] = measure_pip_download(
            server, corpus, client_bin / "pip", args.pip_downloads, run_dir
        )
        result["memory"] = {
            "rss_mb": tree_rss_mb(server.process.pid),
            "pss_mb": tree_pss_mb(server.process.pid),
        }
    except Exception as error:  # one server's failure must not lose the others' figures
        message = str(error) if isinstance(error, BenchError) else repr(error)
        log(f"{server.name}: FAILED: {message}")
        result["error"] = message
    finally:
        server.stop()
    return result


def interrupt_on_sigterm(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so that the finally blocks stop the servers."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which(args.wrk) is None:
        log(f"{args.wrk} not found: install it (apt-get install -y wrk)")
        return 2
    if "cheeseshop" in args.only:
        executable = shutil.which(args.cheeseshop_bin)
        if executable is None:
            log(f"cheeseshop executable {args.cheeseshop_bin!r} not found: pass --cheeseshop-bin")
            return 2
        args.cheeseshop_bin = executable
    if args.baseline_bin:
        executable = shutil.which(args.baseline_bin)
        if executable is None:
            log(f"baseline executable {args.baseline_bin!r} not found")
            return 2
        args.baseline_bin = executable
    signal.signal(signal.SIGTERM, interrupt_on_sigterm)

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.work_dir / "runs").mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{stamp}-", dir=args.work_dir / "runs"))
    (run_dir / "logs").mkdir()
    servers: list[IndexServer] = []
    failed = False
    try:
        client_bin = ensure_venv(
            args.work_dir / "venvs" / "client", PEER_REQUIREMENTS["client"],
            run_dir / "logs" / "venv-client.log",
        )  # fmt: skip
        servers = make_servers(args, run_dir)
        corpus = build_corpus(run_dir / "corpus", args.projects)
        log(f"corpus: {len(corpus.files)} files in {run_dir / 'corpus'}")
        report = {
            "timestamp": stamp,
            "machine": machine_info(),
            "parameters": {
                "projects": args.projects,
                "files": len(corpus.files),
                "duration_s": args.duration,
                "connections": args.connections,
                "threads": args.threads,
                "pip_downloads": args.pip_downloads,
                "user_agent": USER_AGENT,
                "accept": "text/html",
                "twine": installed_versions(client_bin, ["twine", "pip"]),
            },
            "servers": {},
        }
        for server in servers:
            report["servers"][server.name] = benchmark_server(
                server, corpus, args, client_bin, run_dir
            )
            failed = failed or "error" in report["servers"][server.name]
        rows = figures(args.connections)
        report["ratios"] = ratios(report["servers"], rows)
        report["baseline_ratios"] = baseline_ratios(report["servers"], rows)
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / f"{stamp}.json"
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(render_markdown(report, rows))
        print(f"\nJSON: {out}")
    except BenchError as error:
        log(f"FAILED: {error}")
        failed = True
    except KeyboardInterrupt:
        log("interrupted")
        failed = True
    finally:
        for server in servers:
            server.stop()
        if args.keep or failed:
            log(f"work directory kept: {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
