#!/usr/bin/env python3
"""Benchmark cheeseshop against pypiserver and devpi in one run, and report ratios.

Builds a synthetic corpus of tiny but valid distributions, starts each index on its own
loopback port (the peers from their own virtualenvs under ``benchmarks/.work/venvs``), uploads
the corpus with one ``twine upload`` per index, then loads ``/simple/<project>/`` with ``wrk``,
downloads a 1 MB and a 20 MB wheel with ``wrk`` and a few packages with ``pip``. cheeseshop also
gets N more projects (``index_projects.py``) for a ``/simple/`` that lists them all, and is
started on empty data directories for its cold start. Last, nginx serves the very bytes
cheeseshop served, as the limit of what serving them can cost. One server runs at a time so that
they never compete for the cores. See ``benchmarks/README.md`` for how to read the output.

Standard library only; external programs: ``wrk``, ``nginx``, ``twine``, ``pip``,
``python -m venv``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import hashlib
import html
import io
import itertools
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from wheels import wheel_bytes

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SERVER_NAMES = ("cheeseshop", "pypiserver", "devpi")
PEERS = ("pypiserver", "devpi")
# With --baseline-bin: another cheeseshop (an earlier commit's, say), run in the same run.
BASELINE = "baseline"
# Last, unless --no-nginx: nginx serving the bytes cheeseshop served, as static files.
NGINX = "nginx"

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
# The download test's files: one project each, whose one wheel holds this many incompressible
# bytes (so that no layer can compress them away).
DOWNLOAD_SIZES = {"1mb": 2**20, "20mb": 20 * 2**20}
DOWNLOAD_PREFIX = "bench-file-"
# The projects index_projects.py adds for /simple/ with N projects.
INDEX_PREFIX = "bench-index-"
INDEX_SCRIPT = BENCH_DIR / "index_projects.py"
# Cold start: how often /simple/ is asked while the server starts.
COLD_START_POLL_S = 0.02
MB = 2**20  # MB in this report are MiB, for memory and throughput alike


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """A step failed in a way that makes one server's figures meaningless."""


# --- Corpus -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadFile:
    """A large wheel of its own project, for the download test."""

    label: str  # "1mb", "20mb": the figure's key
    project: str
    path: Path
    sha256: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class Corpus:
    projects: list[str]
    files: list[Path]
    downloads: list[DownloadFile] = field(default_factory=list)


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


def build_wheel(out_dir: Path, name: str, version: str, payload: bytes = b"") -> Path:
    """The corpus's wheel of ``name`` ``version`` (wheels.py), with ``payload`` as a data file."""
    filename, data = wheel_bytes(
        name, version, core_metadata(name, version), payload=payload, generator="index_bench"
    )
    path = out_dir / filename
    path.write_bytes(data)
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


def payload_bytes(name: str, size: int) -> bytes:
    """size incompressible bytes, the same on every run: SHAKE-256's stream seeded by name."""
    return hashlib.shake_256(f"index_bench payload {name}".encode()).digest(size)


def build_download_files(out_dir: Path) -> list[DownloadFile]:
    files = []
    for label, size in DOWNLOAD_SIZES.items():
        name = DOWNLOAD_PREFIX + label
        path = build_wheel(out_dir, name, VERSIONS[0], payload_bytes(name, size))
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        files.append(DownloadFile(label=label, project=name, path=path, sha256=sha256))
    return files


def build_corpus(out_dir: Path, project_count: int, *, downloads: bool = False) -> Corpus:
    out_dir.mkdir(parents=True, exist_ok=True)
    projects = project_names(project_count)
    files = []
    for name in projects:
        for version in VERSIONS:
            files.append(build_wheel(out_dir, name, version))
            files.append(build_sdist(out_dir, name, version))
    download_files = build_download_files(out_dir) if downloads else []
    return Corpus(projects=projects, files=files, downloads=download_files)


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

    def stop(self) -> bool:
        """SIGTERM to the server's group; after 15 s, or for any process of its tree still
        alive once it has exited, SIGTERM then SIGKILL. Returns whether it stopped cleanly:
        its whole tree gone on the first SIGTERM, within the 15 s."""
        tree = process_tree(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        clean = True
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: did not stop on SIGTERM, killing")
            clean = False
        tree.update(process_tree(self.pid) if self.is_running() else {})
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [pid for pid, stat in tree.items() if is_same_process(pid, stat)]
            clean = clean and not alive
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
        return clean

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
    threads: int
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
        threads=int(fields[17]),
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
    return pages * os.sysconf("SC_PAGE_SIZE") / MB


def tree_pss_mb(root: int) -> float | None:
    """Proportional set size: pages shared between the tree's processes (forked workers)
    are counted once in total, where RSS counts them in every process."""
    return memory_figures(root)["pss_mb"]


def read_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").rstrip("\0").split("\0")


def rollup_kib(pid: int) -> dict[str, int]:
    """Rss and Pss (kB) of one process, from smaps_rollup: {} when it cannot be read."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    return {
        match.group(1): int(match.group(2))
        for match in re.finditer(r"^(Rss|Pss):\s+(\d+) kB", rollup, re.MULTILINE)
    }


UWSGI_PROCNAME = re.compile(r"uWSGI (master|worker|mule|http) ?\d*")
UWSGI_KINDS = {"master": "uwsgi master", "worker": "uwsgi worker", "mule": "uwsgi mule"}
CHEESESHOP_KINDS = {"serve": "serve", "worker": "task worker", "migrate": "migrate"}


def option_values(argv: list[str], name: str) -> list[str]:
    """Every value of a command-line option given as ``name value`` or ``name=value``."""
    values = [arg.split("=", 1)[1] for arg in argv if arg.startswith(name + "=")]
    values += [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == name]
    return values


def mule_kind(target: str) -> str:
    """What a uWSGI mule running ``target`` (``module:function``) is."""
    if "taskqueue" in target:
        return "task worker (mule)"
    if "host_renderers" in target:
        return "renderer host (mule)"
    return "uwsgi mule"


def uwsgi_children(master_argv: list[str]) -> list[str]:
    """What a uWSGI master's children are, in the order it spawns them: its workers
    (--processes), its mules (--mule), then its HTTP router (--http)."""
    processes = int((option_values(master_argv, "--processes") or ["1"])[-1])
    mules = [mule_kind(target) for target in option_values(master_argv, "--mule")]
    router = ["http router"] if option_values(master_argv, "--http") else []
    return ["uwsgi worker"] * processes + mules + router


def program_kind(argv: list[str], parent_line: str) -> str:
    line = " ".join(argv)
    if match := UWSGI_PROCNAME.search(line):  # --auto-procname's names, where uWSGI sets them
        return UWSGI_KINDS.get(match.group(1), "http router")
    if line.startswith("nginx: "):  # nginx names its processes itself
        return "nginx master" if "master process" in line else "nginx worker"
    if "cheeseshop.cli" in line or any(Path(arg).name == "cheeseshop" for arg in argv[:2]):
        command = next((arg for arg in argv if arg in CHEESESHOP_KINDS), None)
        if command is not None:
            return CHEESESHOP_KINDS[command]
    if any(Path(arg).name == "gunicorn" for arg in argv[:2]):
        return "gunicorn worker" if "gunicorn" in parent_line else "gunicorn master"
    code = option_values(argv, "-c")
    if code and (match := re.search(r"from ([\w.]+) import", code[0])):
        # multiprocessing's helpers: "forkserver", "resource tracker"; a process the
        # forkserver forked has its command line: "forkserver child".
        helper = match.group(1).rsplit(".", 1)[-1].replace("_", " ")
        return f"{helper} child" if line == parent_line else helper
    # Anything else: the program (or the Python script) it runs.
    program = next((arg for arg in argv if not Path(arg).name.startswith("python")), "?")
    return Path(program).name[:30]


def process_kinds(tree: dict[int, ProcessStat]) -> dict[int, str]:
    """What each process of a server's tree is, from its command line; numbered afterwards
    where there are several of a kind.

    Under pyuwsgi (uWSGI inside a Python process, as `cheeseshop serve` runs it)
    --auto-procname renames nothing that /proc shows: uWSGI rewrites a copy of argv. There,
    the master is the uWSGI process whose parent is not one, and its children are named by
    the order uWSGI spawns them (uwsgi_children).
    """
    argvs = {pid: read_cmdline(pid) for pid in tree}
    lines = {pid: " ".join(argv) for pid, argv in argvs.items()}
    kinds: dict[int, str] = {}
    for pid, stat in tree.items():
        if "pyuwsgi" not in lines[pid] or "pyuwsgi" in lines.get(stat.parent, ""):
            continue
        kinds[pid] = "uwsgi master"
        children = sorted(
            (child for child in tree if tree[child].parent == pid and "pyuwsgi" in lines[child]),
            key=lambda child: (tree[child].start_ticks, child),
        )
        layout = uwsgi_children(argvs[pid])
        for index, child in enumerate(children):
            kinds[child] = layout[index] if index < len(layout) else "uwsgi child"
    for pid, stat in tree.items():  # the renderer host's forks, one per process it serves
        if kinds.get(stat.parent) == "renderer host (mule)":
            kinds[pid] = "description renderer"
    for pid, stat in tree.items():
        if pid not in kinds:
            kinds[pid] = program_kind(argvs[pid], lines.get(stat.parent, ""))
    return kinds


def process_memory(root: int) -> list[dict]:
    """PSS and RSS of every process in root's tree, each named, in the order they started.

    PSS (proportional set size) splits the pages that processes share (forked workers) between
    them, so the processes' PSS add up to the tree's real footprint; RSS counts shared pages in
    every process that maps them.
    """
    tree = process_tree(root)
    kinds = process_kinds(tree)
    rows = []
    for pid in sorted(tree, key=lambda pid: (tree[pid].start_ticks, pid)):
        kib = rollup_kib(pid)
        rows.append(
            {
                "pid": pid,
                "parent": tree[pid].parent,
                "kind": kinds[pid],
                "name": kinds[pid],
                "threads": tree[pid].threads,
                "cmdline": " ".join(read_cmdline(pid))[:160],
                "pss_mb": kib["Pss"] / 1024 if "Pss" in kib else None,
                "rss_mb": kib["Rss"] / 1024 if "Rss" in kib else None,
            }
        )
    # "uwsgi worker 1", "uwsgi worker 2", ...: numbered where a kind has several processes.
    several = {kind for kind in kinds.values() if list(kinds.values()).count(kind) > 1}
    counters: dict[str, int] = {}
    for row in rows:
        if row["kind"] in several:
            counters[row["kind"]] = counters.get(row["kind"], 0) + 1
            row["name"] = f"{row['kind']} {counters[row['kind']]}"
    return rows


def memory_figures(root: int) -> dict:
    """The tree's PSS and RSS in total (None when a process's could not be read), and per
    process."""
    processes = process_memory(root)

    def total(key: str) -> float | None:
        values = [row[key] for row in processes]
        return sum(values) if values and None not in values else None

    return {"pss_mb": total("pss_mb"), "rss_mb": total("rss_mb"), "processes": processes}


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
    log(f"creating virtualenv {path} ({', '.join(requirements)})")
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


def http_fetch(url: str, timeout: float = 10.0, accept: str = "text/html") -> tuple[int, bytes]:
    """GET url as wrk asks for pages (the same User-Agent and Accept): status and body bytes."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": accept})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def http_get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    status, body = http_fetch(url, timeout)
    return status, body.decode("utf-8", "replace")


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


def wait_for_ok(url: str, server: ServerProcess, started: float, interval: float) -> float:
    """Poll url every interval s until it answers 200; return the seconds since started."""
    while time.monotonic() - started < READY_TIMEOUT_S:
        if not server.is_running():
            raise BenchError(f"{server.name} exited during start-up:\n{server.tail_of_log()}")
        with contextlib.suppress(OSError, urllib.error.URLError):
            if http_fetch(url, timeout=2)[0] == 200:
                return time.monotonic() - started
        time.sleep(interval)
    raise BenchError(f"{server.name}: no 200 from {url} after {READY_TIMEOUT_S:.0f} s")


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
    versions: dict = field(default_factory=dict)

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

    def add_index_projects(self, count: int) -> dict:
        """count more projects, one wheel each, through the index's own upload code run in a
        `cheeseshop manage shell` (index_projects.py says how and why)."""
        env = {
            **os.environ,
            **self.environment(),
            "INDEX_BENCH_PROJECTS": str(count),
            "INDEX_BENCH_USER": BENCH_USER,
            "INDEX_BENCH_PREFIX": INDEX_PREFIX,
        }
        command = f"import runpy; runpy.run_path({str(INDEX_SCRIPT)!r})"
        with open(self.work_dir / "setup.log", "ab") as log_file:
            result = subprocess.run(
                [self.executable, "manage", "shell", "-c", command],
                check=False,
                env=env,
                cwd=self.work_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
            )
        reports = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if result.returncode != 0 or not reports:
            tail = "\n".join(
                (self.work_dir / "setup.log").read_text(errors="replace").splitlines()[-12:]
            )
            raise BenchError(f"index_projects.py exited {result.returncode}:\n{tail}")
        return json.loads(reports[-1])

    def cold_start(self) -> tuple[float, bool]:
        """Start on an empty data directory: seconds until /simple/ first answers 200 (polled
        every COLD_START_POLL_S), and whether it then stopped cleanly on SIGTERM."""
        started = time.monotonic()
        process = ServerProcess(
            self.name,
            [self.executable, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env={**os.environ, **self.environment()},
            cwd=self.work_dir,
            log_path=self.work_dir / "server.log",
        )
        try:
            seconds = wait_for_ok(self.readiness_url, process, started, COLD_START_POLL_S)
        finally:
            clean = process.stop()
        return seconds, clean


NGINX_CONF = """\
# Generated by index_bench.py: the bytes cheeseshop served, served as static files.
daemon off;
worker_processes %(workers)d;
%(user)spid %(run_dir)s/nginx.pid;
error_log %(run_dir)s/error.log warn;
events {
    worker_connections 1024;
}
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    # Pages are index.html files (text/html; charset=utf-8, as cheeseshop sends them);
    # distribution files have no type of their own, as from cheeseshop.
    types {
        text/html html;
    }
    default_type application/octet-stream;
    charset utf-8;
    client_body_temp_path %(run_dir)s/temp/client_body;
    proxy_temp_path %(run_dir)s/temp/proxy;
    fastcgi_temp_path %(run_dir)s/temp/fastcgi;
    uwsgi_temp_path %(run_dir)s/temp/uwsgi;
    scgi_temp_path %(run_dir)s/temp/scgi;
    server {
        listen 127.0.0.1:%(port)d;
        root %(root)s;
        index index.html;
    }
}
"""


def nginx_version(executable: str) -> str:
    result = subprocess.run([executable, "-v"], check=False, capture_output=True, text=True)
    match = re.search(r"nginx/(\S+)", result.stderr + result.stdout)
    return match.group(1) if match else "unknown"


@dataclass
class NginxServer(IndexServer):
    """nginx serving ``root`` (what capture_for_nginx wrote): the limit for serving those bytes.

    One worker process per CPU, sendfile, keep-alive without a practical request limit, no
    access log: the configuration people put in front of an index's static files.
    """

    executable: str = "nginx"
    root: Path = Path()

    def start(self) -> None:
        (self.work_dir / "temp").mkdir(parents=True, exist_ok=True)
        conf = self.work_dir / "nginx.conf"
        # As root, nginx's workers would switch to "nobody", who cannot read the run directory
        # (mode 0700); as anyone else nginx runs as that user and the directive is not allowed.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        conf.write_text(
            NGINX_CONF
            % {
                "workers": os.cpu_count() or 1,
                "user": user,
                "run_dir": self.work_dir,
                "port": self.port,
                "root": self.root,
            }
        )
        self._spawn(
            [self.executable, "-p", str(self.work_dir), "-e", str(self.work_dir / "error.log"),
             "-c", str(conf)]
        )  # fmt: skip


PEER_CLASSES = {"pypiserver": PypiserverServer, "devpi": DevpiServer}


# --- Measurements -------------------------------------------------------------------------------


def measure_upload(server: IndexServer, corpus: Corpus, twine: Path, log_dir: Path) -> dict:
    return upload_files(server, corpus.files, twine, log_dir / f"{server.name}-twine.log")


def upload_files(server: IndexServer, files: list[Path], twine: Path, log_path: Path) -> dict:
    """One ``twine upload`` of files; files/s over the wall time of the invocation."""
    log(f"{server.name}: twine upload of {len(files)} files")
    argv = [
        str(twine), "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", server.upload_url,
        "-u", server.upload_user, "-p", server.upload_password,
        *[str(path) for path in files],
    ]  # fmt: skip
    env = {**os.environ, "TWINE_NON_INTERACTIVE": "1", "NO_COLOR": "1"}
    for name in ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY", "TWINE_REPOSITORY_URL"):
        env.pop(name, None)
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
    size = sum(path.stat().st_size for path in files)
    return {
        "files": len(files),
        "bytes": size,
        "seconds": seconds,
        "files_per_s": len(files) / seconds,
        "mb_per_s": size / MB / seconds,
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
    paths = [f"{server.simple_path}{project}/" for project in corpus.projects]
    write_wrk_paths(path, paths, threads)


def write_wrk_paths(path: Path, url_paths: list[str], threads: int) -> None:
    """A wrk script that rotates over url_paths (one path: always that one)."""
    paths = ",\n".join(f'  "{url_path}"' for url_path in url_paths)
    path.write_text(WRK_SCRIPT % {"paths": paths, "threads": threads})


def run_wrk(
    server: IndexServer,
    script: Path,
    *,
    wrk: str,
    connections: int,
    threads: int,
    seconds: float,
    accept: str = "text/html",
) -> dict:
    argv = [
        wrk, "-t", str(min(threads, connections)), "-c", str(connections),
        "-d", f"{max(1, round(seconds))}s", "--timeout", "10s",
        "-H", f"User-Agent: {USER_AGENT}", "-H", f"Accept: {accept}",
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
        # What went over the wire (headers included), in MB/s.
        "mb_per_s": raw["bytes"] / MB / seconds_run,
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


def measure_simple(server: IndexServer, corpus: Corpus, args: argparse.Namespace, run_dir: Path):
    """wrk over every project's simple page: a warm-up, then one run per connection count."""
    script = run_dir / f"wrk-{server.name}.lua"
    write_wrk_script(script, server, corpus, args.threads)
    warmup = min(3.0, args.duration)
    run_wrk(
        server, script, wrk=args.wrk, connections=args.connections[0],
        threads=args.threads, seconds=warmup,
    )  # fmt: skip
    results = {}
    for connections in args.connections:
        log(f"{server.name}: wrk {connections} connections, {args.duration:g} s")
        measured = run_wrk(
            server, script, wrk=args.wrk, connections=connections,
            threads=args.threads, seconds=args.duration,
        )  # fmt: skip
        results[f"c{connections}"] = measured
        log(
            f"{server.name}: {measured['req_per_s']:.0f} req/s, p50 {measured['p50_ms']:.2f}"
            f" ms, p99 {measured['p99_ms']:.2f} ms"
        )
    return results


# --- Downloads, /simple/ with N projects, nginx's copy, cold start -----------------------------


def linked_file_url(server: IndexServer, project: str, filename: str) -> str:
    """The URL the project's simple page links filename at, resolved against the page (each
    server has its own layout: ../../packages/..., ../../+f/...)."""
    page = f"{server.base_url}{server.simple_path}{project}/"
    status, body = http_get(page)
    if status != 200:
        raise BenchError(f"{server.name}: GET {page} answered {status}, not 200")
    for href in re.findall(r'href="([^"]*)"', body):
        url = urllib.parse.urljoin(page, html.unescape(href)).split("#", 1)[0]
        if urllib.parse.unquote(url.rsplit("/", 1)[-1]) == filename:
            return url
    raise BenchError(f"{server.name}: {page} does not link {filename}")


def fetch_sha256(url: str, dest: Path | None = None) -> tuple[str, int]:
    """GET url whole, following no redirect: its sha256 and size (and its bytes into dest)."""
    digest, size = hashlib.sha256(), 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with (
            _OPENER.open(request, timeout=60) as response,
            open(dest, "wb") if dest else contextlib.nullcontext() as out,
        ):
            while chunk := response.read(MB):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
    except urllib.error.HTTPError as error:
        raise BenchError(f"GET {url} answered {error.code}, not 200") from None
    return digest.hexdigest(), size


def measure_download(
    server: IndexServer, file: DownloadFile, args: argparse.Namespace, run_dir: Path
) -> dict:
    """GET of one file's URL (the one its simple page links) with wrk: MB/s and req/s, once
    its bytes are checked against the file's sha256."""
    url = linked_file_url(server, file.project, file.path.name)
    parts = urllib.parse.urlsplit(url)
    if parts.netloc != urllib.parse.urlsplit(server.base_url).netloc:
        # (wrk follows no redirect and asks one host: another host's bytes are not this one's)
        raise BenchError(f"{server.name} links {file.path.name} on another host: {url}")
    sha256, size = fetch_sha256(url)
    if sha256 != file.sha256:
        raise BenchError(f"{server.name}: {url} is not {file.path.name} (sha256 {sha256})")
    script = run_dir / f"wrk-{server.name}-{file.label}.lua"
    write_wrk_paths(script, [parts.path], args.threads)
    log(f"{server.name}: wrk GET {file.path.name}, {args.bulk_connections} connections")
    measured = run_wrk(
        server, script, wrk=args.wrk, connections=args.bulk_connections,
        threads=args.threads, seconds=args.duration, accept="*/*",
    )  # fmt: skip
    log(f"{server.name}: {measured['mb_per_s']:.0f} MB/s, {measured['req_per_s']:.1f} req/s")
    return {"url": url, "size": size, "sha256_verified": True, **measured}


def measure_downloads(
    server: IndexServer, corpus: Corpus, args: argparse.Namespace, run_dir: Path
) -> dict:
    return {file.label: measure_download(server, file, args, run_dir) for file in corpus.downloads}


def measure_index_page(
    server: IndexServer, expected: int, args: argparse.Namespace, run_dir: Path
) -> dict:
    """wrk on /simple/ once it lists at least expected projects."""
    url = server.base_url + server.simple_path
    status, body = http_fetch(url, timeout=60)
    listed = len(re.findall(rb"<a\s", body))
    if status != 200 or listed < expected:
        raise BenchError(f"{server.name}: {url} answered {status} listing {listed} projects")
    script = run_dir / f"wrk-{server.name}-index.lua"
    write_wrk_paths(script, [server.simple_path], args.threads)
    log(f"{server.name}: wrk /simple/ ({listed} projects), {args.bulk_connections} connections")
    run_wrk(
        server, script, wrk=args.wrk, connections=args.bulk_connections,
        threads=args.threads, seconds=min(3.0, args.duration),
    )  # fmt: skip
    measured = run_wrk(
        server, script, wrk=args.wrk, connections=args.bulk_connections,
        threads=args.threads, seconds=args.duration,
    )  # fmt: skip
    log(f"{server.name}: /simple/ {measured['req_per_s']:.0f} req/s")
    return {"projects_listed": listed, "page_bytes": len(body), **measured}


def measure_index(
    server: CheeseshopServer, corpus: Corpus, args: argparse.Namespace, run_dir: Path
) -> dict:
    """--index-projects more projects, then wrk on the /simple/ that lists them all."""
    log(f"{server.name}: adding {args.index_projects} projects (index_projects.py)")
    started = time.monotonic()
    added = server.add_index_projects(args.index_projects)
    settle = wait_until_idle(server.process.pid)
    setup_s = time.monotonic() - started
    log(f"{server.name}: {added['created']} projects added in {setup_s:.0f} s")
    expected = args.index_projects + len(corpus.projects) + len(corpus.downloads)
    return {
        "added": added,
        "setup_s": setup_s,
        "settle_s": settle,
        **measure_index_page(server, expected, args, run_dir),
        "memory_pss_mb": memory_figures(server.process.pid)["pss_mb"],
    }


def save_page(server: IndexServer, url_path: str, root: Path) -> int:
    """Write the page at url_path as served (asked as wrk asks) to root/<url_path>/index.html."""
    status, body = http_fetch(server.base_url + url_path, timeout=60)
    if status != 200:
        raise BenchError(f"{server.name}: GET {url_path} answered {status}, not 200")
    dest = root / url_path.strip("/") / "index.html"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(body)
    return len(body)


def capture_for_nginx(server: IndexServer, corpus: Corpus, root: Path) -> dict:
    """Write under root what server serves, at the same paths, for nginx to serve: every
    /simple/<p>/ page, /simple/ and the download test's files."""
    log(f"{server.name}: saving its pages and files for nginx")
    size = 0
    projects = [*corpus.projects, *(file.project for file in corpus.downloads)]
    for project in projects:
        size += save_page(server, f"{server.simple_path}{project}/", root)
    size += save_page(server, server.simple_path, root)
    for file in corpus.downloads:
        url = linked_file_url(server, file.project, file.path.name)
        dest = root / urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        sha256, file_size = fetch_sha256(url, dest)
        if sha256 != file.sha256:
            raise BenchError(f"{server.name}: {url} is not {file.path.name}")
        size += file_size
    return {"pages": len(projects) + 1, "files": len(corpus.downloads), "bytes": size}


def measure_cold_start(server: CheeseshopServer, runs: int) -> dict:
    """`cheeseshop serve` on an empty data directory, runs times: seconds to the first 200
    on /simple/ (migrations included), and whether each run then stopped cleanly."""
    seconds, clean = [], []
    for run in range(1, runs + 1):
        work_dir = server.work_dir / f"cold-start-{run}"
        work_dir.mkdir()
        fresh = CheeseshopServer(
            f"{server.name} cold start {run}", work_dir, free_port(), executable=server.executable
        )
        took, stopped_cleanly = fresh.cold_start()
        log(f"{fresh.name}: first 200 after {took:.2f} s")
        seconds.append(took)
        clean.append(stopped_cleanly)
    return {"runs_s": seconds, "median_s": statistics.median(seconds), "stopped_cleanly": clean}


def optional_step(result: dict, key: str, server_name: str, step: Callable[[], dict]) -> None:
    """A figure of its own: when it fails, the failure is recorded under key and the server's
    other figures stand."""
    try:
        result[key] = step()
    except BenchError as error:
        log(f"{server_name}: {key} FAILED: {error}")
        result[key] = {"error": str(error)}


# --- Report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    higher_is_better: bool
    digits: int = 1


def figures(args: argparse.Namespace) -> list[Figure]:
    rows = [Figure("upload.files_per_s", "twine upload, files/s", True)]
    for c in args.connections:
        rows += [
            Figure(f"simple.c{c}.req_per_s", f"/simple/<p>/ req/s, {c} conns", True, 0),
            Figure(f"simple.c{c}.p50_ms", f"/simple/<p>/ p50 ms, {c} conns", False, 2),
            Figure(f"simple.c{c}.p99_ms", f"/simple/<p>/ p99 ms, {c} conns", False, 2),
            Figure(
                f"simple.c{c}.server_cpu_ms_per_request", f"server CPU ms/request, {c} conns",
                False, 2,
            ),
        ]  # fmt: skip
    if args.downloads:
        for label in DOWNLOAD_SIZES:
            rows.append(
                Figure(
                    f"downloads.{label}.mb_per_s",
                    f"GET {label[:-2]} MB wheel, MB/s, {args.bulk_connections} conns",
                    True,
                    0,
                )
            )
    if args.index_projects:
        rows.append(
            Figure(
                "index.req_per_s",
                f"/simple/ ({args.index_projects:,} projects) req/s, "
                f"{args.bulk_connections} conns",
                True,
                0,
            )
        )
    rows += [
        Figure("pip_download.seconds_per_package", "pip download --no-deps, s/package", False, 2),
        Figure("memory.pss_mb", "server memory (PSS) after load, MB", False, 0),
        Figure("memory.rss_mb", "server RSS after load, MB (sum of processes)", False, 0),
    ]
    if args.cold_starts:
        rows.append(
            Figure(
                "cold_start.median_s",
                f"cold start to first 200, s (median of {args.cold_starts})",
                False,
                2,
            )
        )
    return rows


def lookup(result: dict | None, key: str):
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


def ratios_to(results: dict[str, dict], rows: list[Figure], other: str) -> dict[str, float]:
    """cheeseshop's figure divided by other's (the baseline's, nginx's), per figure."""
    mine, theirs = results.get("cheeseshop"), results.get(other)
    if not mine or not theirs:
        return {}
    out = {}
    for figure in rows:
        value, base = lookup(mine, figure.key), lookup(theirs, figure.key)
        if value is not None and base:
            out[figure.key] = value / base
    return out


def baseline_ratios(results: dict[str, dict], rows: list[Figure]) -> dict[str, float]:
    return ratios_to(results, rows, BASELINE)


def format_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    # Two significant digits below 0.1 (nginx's figures can be 100x cheeseshop's).
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"


def render_figures(report: dict, rows: list[Figure], names: list[str]) -> list[str]:
    results = report["servers"]
    header = ["figure", "better", *names]
    if NGINX in results:
        header.append("cheeseshop / nginx")
    header.append("cheeseshop / best peer")
    if BASELINE in results:
        header.append("cheeseshop / baseline")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for figure in rows:
        cells = [figure.label, "higher" if figure.higher_is_better else "lower"]
        for name in names:
            value = lookup(results[name], figure.key)
            cells.append("—" if value is None else f"{value:,.{figure.digits}f}")
        if NGINX in results:
            cells.append(format_ratio(report["nginx_ratios"].get(figure.key)))
        ratio = report["ratios"].get(figure.key)
        cells.append(f"{format_ratio(ratio['ratio'])} ({ratio['best_peer']})" if ratio else "—")
        if BASELINE in results:
            cells.append(format_ratio(report["baseline_ratios"].get(figure.key)))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_notes(report: dict, names: list[str]) -> list[str]:
    results = report["servers"]
    params = report["parameters"]
    notes = [
        "",
        f"{params['projects']} projects x {len(VERSIONS)} versions x (wheel + sdist) = "
        f"{params['files']} files; wrk {params['threads']} threads, "
        f"{params['duration_s']} s per run; {report['machine']['cpus']} CPUs shared by "
        "servers and clients.",
        "Ratios > 1 favour cheeseshop where higher is better, < 1 where lower is better.",
    ]
    if NGINX in results:
        notes.append("nginx serves, as static files, the bytes cheeseshop served in this run.")
    source = results.get("cheeseshop", {}).get("versions", {})
    if "commit" in source:
        changed = " with uncommitted changes" if source["uncommitted_changes"] else ""
        notes.append(
            f"cheeseshop under test: {source['package']} at {source['commit'][:12]}{changed}."
        )
    if params["index_projects"]:
        notes.append(
            f"/simple/ with {params['index_projects']:,} projects: cheeseshop (and the baseline) "
            "only; pypiserver and devpi are not measured (—)."
        )
    for name in names:
        result = results[name]
        if "error" in result:
            summary = " ".join(result["error"].split())
            notes.append(f"{name}: FAILED — {summary[:400]}")
        for key in ("downloads", "index", "cold_start", "nginx_capture"):
            if isinstance(result.get(key), dict) and "error" in result[key]:
                summary = " ".join(result[key]["error"].split())
                notes.append(f"{name}: {key} FAILED — {summary[:300]}")
        runs = [
            *[(c, r) for c, r in result.get("simple", {}).items()],
            *[(label, r) for label, r in result.get("downloads", {}).items() if "errors" in r],
            *([("/simple/", result["index"])] if "errors" in result.get("index", {}) else []),
        ]
        errors = [
            f"{run}: {sum(r['errors'].values())}" for run, r in runs if sum(r["errors"].values())
        ]
        if errors:
            notes.append(f"{name}: wrk socket/status errors per run ({', '.join(errors)})")
        cold = result.get("cold_start", {})
        if "runs_s" in cold:
            runs_s = ", ".join(f"{value:.2f}" for value in cold["runs_s"])
            stops = (
                "stopped cleanly" if all(cold["stopped_cleanly"]) else "NOT all stopped cleanly"
            )
            notes.append(f"{name}: cold starts {runs_s} s ({stops})")
        index = result.get("index", {})
        if "setup_s" in index:
            notes.append(
                f"{name}: /simple/ lists {index['projects_listed']:,} projects "
                f"({index['page_bytes'] / 1024:,.0f} KB); adding them took "
                f"{index['setup_s']:.0f} s"
            )
    return notes


def render_memory(report: dict, names: list[str]) -> list[str]:
    """A small table per server: each process of its tree after the load, and the total."""
    lines = ["", "Memory per process after load (MB):"]
    for name in names:
        memory = report["servers"][name].get("memory", {})
        if not memory.get("processes"):
            continue
        lines += ["", f"{name}:", "", "| process | PSS | RSS |", "|---|---|---|"]
        for row in memory["processes"]:
            pss, rss = row["pss_mb"], row["rss_mb"]
            lines.append(
                f"| {row['name']} | {'—' if pss is None else f'{pss:.1f}'} | "
                f"{'—' if rss is None else f'{rss:.1f}'} |"
            )
        pss, rss = memory["pss_mb"], memory["rss_mb"]
        lines.append(
            f"| total | {'—' if pss is None else f'{pss:.1f}'} | "
            f"{'—' if rss is None else f'{rss:.1f}'} |"
        )
    return lines


def render_markdown(report: dict, rows: list[Figure]) -> str:
    names = [n for n in (BASELINE, *SERVER_NAMES, NGINX) if n in report["servers"]]
    lines = render_figures(report, rows, names)
    return "\n".join(lines + render_notes(report, names) + render_memory(report, names))


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


def cheeseshop_source(executable: str) -> dict:
    """Where the code an executable runs comes from: the package's directory and, when it is a
    git checkout (an editable install), its commit and whether files differ from it. The code
    under test need not be this script's checkout."""
    try:
        interpreter = Path(executable).read_text(errors="replace").splitlines()[0]
    except (OSError, IndexError):
        return {}
    if not interpreter.startswith("#!"):
        return {}
    found = subprocess.run(
        [interpreter[2:].strip(), "-c", "import cheeseshop; print(cheeseshop.__path__[0])"],
        check=False,
        capture_output=True,
        text=True,
    )
    package = found.stdout.strip()
    if found.returncode != 0 or not package:
        return {}
    git = ["git", "-C", package]
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=False, capture_output=True, text=True)
    if head.returncode != 0:
        return {"package": package}
    status = subprocess.run(
        [*git, "status", "--porcelain", "--", "."], check=False, capture_output=True, text=True
    )
    return {
        "package": package,
        "commit": head.stdout.strip(),
        "uncommitted_changes": bool(status.stdout.strip()),
    }


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
    parser.add_argument(
        "--downloads",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the 1 MB and 20 MB wheels: uploaded, then fetched with wrk (default: on)",
    )
    parser.add_argument(
        "--index-projects",
        type=int,
        default=10000,
        metavar="N",
        help="projects added to cheeseshop for /simple/ (0: skip; default: %(default)s)",
    )
    parser.add_argument(
        "--bulk-connections",
        type=int,
        default=4,
        help="wrk connections for the large answers: files, /simple/ (default: %(default)s)",
    )
    parser.add_argument(
        "--cold-starts",
        type=int,
        default=3,
        help="cheeseshop starts on an empty data directory (0: skip; default: %(default)s)",
    )
    parser.add_argument(
        "--no-nginx", action="store_true", help="do not run nginx on cheeseshop's bytes"
    )
    parser.add_argument("--nginx", default="nginx", help="nginx executable")
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
    if args.index_projects < 0 or args.cold_starts < 0:
        parser.error("--index-projects and --cold-starts take 0 or more")
    if args.index_projects >= 10**5:
        parser.error("--index-projects: at most 99999 (index_projects.py's names have 5 digits)")
    return args


def find_nginx(name: str) -> str | None:
    """nginx from PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    found = shutil.which(name)
    if found is None and name == "nginx" and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


def make_servers(args: argparse.Namespace, run_dir: Path) -> list[IndexServer]:
    servers: list[IndexServer] = []
    log_dir = run_dir / "logs"
    if args.baseline_bin:
        work_dir = run_dir / BASELINE
        work_dir.mkdir(parents=True)
        servers.append(
            CheeseshopServer(
                BASELINE, work_dir, free_port(), executable=args.baseline_bin,
                versions={
                    "executable": args.baseline_bin, **cheeseshop_source(args.baseline_bin)
                },
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
                versions={
                    "git": git_revision() or "unknown",
                    "executable": args.cheeseshop_bin,
                    **cheeseshop_source(args.cheeseshop_bin),
                },
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
    server: IndexServer,
    corpus: Corpus,
    args: argparse.Namespace,
    client_bin: Path,
    run_dir: Path,
    *,
    nginx_root: Path | None = None,
) -> dict:
    """Every figure of one server, in order: upload, simple pages, downloads, pip, memory, and
    for a cheeseshop /simple/ with N projects, then (stopped) its cold starts. With nginx_root,
    what it served is saved there for nginx before it stops."""
    result: dict = {"versions": server.versions, "port": server.port}
    cheeseshop = isinstance(server, CheeseshopServer)
    try:
        server.start()
        result["upload"] = measure_upload(server, corpus, client_bin / "twine", run_dir / "logs")
        log(f"{server.name}: {result['upload']['files_per_s']:.1f} files/s")
        if corpus.downloads:
            # Apart from the corpus: files/s stays the figure it was, not a transfer rate.
            result["upload_large"] = upload_files(
                server, [file.path for file in corpus.downloads], client_bin / "twine",
                run_dir / "logs" / f"{server.name}-twine-large.log",
            )  # fmt: skip
        log(f"{server.name}: waiting for idle")
        result["settle_s"] = wait_until_idle(server.process.pid)
        verify_simple_pages(server, corpus)
        result["simple"] = measure_simple(server, corpus, args, run_dir)
        if corpus.downloads:
            optional_step(
                result, "downloads", server.name,
                lambda: measure_downloads(server, corpus, args, run_dir),
            )  # fmt: skip
        result["pip_download"] = measure_pip_download(
            server, corpus, client_bin / "pip", args.pip_downloads, run_dir
        )
        result["memory"] = memory_figures(server.process.pid)
        if cheeseshop and args.index_projects:
            optional_step(
                result, "index", server.name, lambda: measure_index(server, corpus, args, run_dir)
            )
        if nginx_root is not None:
            optional_step(
                result, "nginx_capture", server.name,
                lambda: capture_for_nginx(server, corpus, nginx_root),
            )  # fmt: skip
    except Exception as error:  # one server's failure must not lose the others' figures
        message = str(error) if isinstance(error, BenchError) else repr(error)
        log(f"{server.name}: FAILED: {message}")
        result["error"] = message
    finally:
        server.stop()
    if cheeseshop and args.cold_starts and "error" not in result:
        optional_step(
            result, "cold_start", server.name,
            lambda: measure_cold_start(server, args.cold_starts),
        )  # fmt: skip
    return result


def benchmark_nginx(
    nginx: NginxServer, corpus: Corpus, args: argparse.Namespace, run_dir: Path, reference: dict
) -> dict:
    """The figures nginx has on cheeseshop's bytes (reference: cheeseshop's result)."""
    result: dict = {"versions": nginx.versions, "port": nginx.port}
    try:
        nginx.start()
        verify_simple_pages(nginx, corpus)
        result["simple"] = measure_simple(nginx, corpus, args, run_dir)
        if corpus.downloads:
            optional_step(
                result, "downloads", nginx.name,
                lambda: measure_downloads(nginx, corpus, args, run_dir),
            )  # fmt: skip
        listed = lookup(reference, "index.projects_listed")
        if listed:
            optional_step(
                result, "index", nginx.name,
                lambda: measure_index_page(nginx, listed, args, run_dir),
            )  # fmt: skip
        result["memory"] = memory_figures(nginx.process.pid)
    except Exception as error:  # nginx's failure must not lose the servers' figures
        message = str(error) if isinstance(error, BenchError) else repr(error)
        log(f"{nginx.name}: FAILED: {message}")
        result["error"] = message
    finally:
        nginx.stop()
    return result


def interrupt_on_sigterm(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so that the finally blocks stop the servers."""
    raise KeyboardInterrupt


def check_executables(args: argparse.Namespace) -> str | None:
    """Resolve the programs the run needs (in args); the problem, if one is missing."""
    if shutil.which(args.wrk) is None:
        return f"{args.wrk} not found: install it (apt-get install -y wrk)"
    if "cheeseshop" in args.only:
        executable = shutil.which(args.cheeseshop_bin)
        if executable is None:
            return (
                f"cheeseshop executable {args.cheeseshop_bin!r} not found: pass --cheeseshop-bin"
            )
        args.cheeseshop_bin = executable
    if args.baseline_bin:
        executable = shutil.which(args.baseline_bin)
        if executable is None:
            return f"baseline executable {args.baseline_bin!r} not found"
        args.baseline_bin = executable
    if not args.no_nginx:
        executable = find_nginx(args.nginx)
        if executable is None:
            return f"{args.nginx} not found: apt-get install -y nginx-light (or pass --no-nginx)"
        args.nginx = executable
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problem = check_executables(args)
    if problem is not None:
        log(problem)
        return 2
    # nginx serves what cheeseshop served: without cheeseshop it has nothing to serve.
    with_nginx = not args.no_nginx and "cheeseshop" in args.only
    if not args.no_nginx and not with_nginx:
        log("nginx skipped: it serves cheeseshop's bytes, and cheeseshop is not in --only")
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
        corpus = build_corpus(run_dir / "corpus", args.projects, downloads=args.downloads)
        log(f"corpus: {len(corpus.files) + len(corpus.downloads)} files in {run_dir / 'corpus'}")
        nginx_root = run_dir / NGINX / "root" if with_nginx else None
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
                "downloads": {file.label: file.size for file in corpus.downloads},
                "bulk_connections": args.bulk_connections,
                "index_projects": args.index_projects,
                "cold_starts": args.cold_starts,
                "nginx": args.nginx if with_nginx else None,
                "user_agent": USER_AGENT,
                "accept": "text/html",
                "twine": installed_versions(client_bin, ["twine", "pip"]),
            },
            "servers": {},
        }
        for server in servers:
            report["servers"][server.name] = benchmark_server(
                server, corpus, args, client_bin, run_dir,
                nginx_root=nginx_root if server.name == "cheeseshop" else None,
            )  # fmt: skip
            failed = failed or "error" in report["servers"][server.name]
        reference = report["servers"].get("cheeseshop", {})
        if with_nginx and "pages" in reference.get("nginx_capture", {}):
            nginx = NginxServer(
                NGINX, run_dir / NGINX, free_port(), executable=args.nginx, root=nginx_root,
                versions={"nginx": nginx_version(args.nginx)},
            )  # fmt: skip
            servers.append(nginx)
            report["servers"][NGINX] = benchmark_nginx(nginx, corpus, args, run_dir, reference)
            failed = failed or "error" in report["servers"][NGINX]
        elif with_nginx:
            log("nginx skipped: cheeseshop's pages and files could not be saved for it")
        rows = figures(args)
        report["ratios"] = ratios(report["servers"], rows)
        report["nginx_ratios"] = ratios_to(report["servers"], rows, NGINX)
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
