"""Real workers for the task queue's tests: ``cheeseshop worker`` processes on a database of
their own (a fresh PostgreSQL database when the suite runs on PostgreSQL, else SQLite in the
test's directory) and, for RQ, a private ``redis-server``: nothing is shared between tests, so
they run side by side (``-n``) and never touch another Redis database."""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.databases import new_postgresql_database
from tests.processes import kill_tree, running_redis, wait_for

ROOT = Path(__file__).resolve().parents[2]


def marker_lines(marker: Path, suffix: str = "") -> list[list[str]]:
    """The words of each line the sample tasks wrote to ``marker`` (with ``suffix``)."""
    path = marker.with_suffix(suffix) if suffix else marker
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def assert_finished_by_another_process(marker: Path, timeout: float) -> None:
    """The ``nap`` task at ``marker``, once done, started twice, in two processes, and the
    second finished it."""
    done = wait_for("the task done", lambda: marker_lines(marker, ".done"), timeout=timeout)
    (started_first, started_again) = marker_lines(marker, ".started")
    assert started_first[1] != started_again[1], "run again, in another process"
    assert done[0][1] == started_again[1]


def assert_retried_twice_then_given_up(log: str) -> None:
    problem = "RuntimeError: the sample task fails every time"
    assert f"attempt 1 of 3: {problem}; retrying in 1 s" in log
    assert f"attempt 2 of 3: {problem}; retrying in 2 s" in log
    assert f"attempt 3 of 3: {problem}; giving up" in log


def kill_9(process: subprocess.Popen) -> None:
    """``kill -9`` a worker and everything it started, as a lost machine would."""
    kill_tree(process.pid)
    process.wait()


@dataclass
class Workers:
    """Worker processes sharing one environment (database, backend, Redis)."""

    env: dict
    directory: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def start(self, *args: str) -> subprocess.Popen:
        log = self.directory / f"worker-{len(self.started)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "cheeseshop.cli", "worker", *args],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def start_then_kill_mid_task(self, marker: Path) -> subprocess.Popen:
        """A worker started, killed (``kill -9``) while it runs a long ``nap`` task, then
        another worker started: that one, which is to run the task again."""
        first = self.start()
        self.run("enqueue", "nap", str(marker), "60")
        wait_for("the first worker to start the task", lambda: marker_lines(marker, ".started"))
        kill_9(first)  # the worker, and all it started (RQ's work horse, its scheduler)
        return self.start()

    def log(self, process: subprocess.Popen) -> str:
        return (self.directory / f"worker-{self.started.index(process)}.log").read_text()

    def run(self, *args: str) -> str:
        """Run ``python -m tests.taskqueue.driver ARGS`` in this environment; its output."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.taskqueue.driver", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                kill_9(process)


def clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _migrate(env: dict) -> None:
    # With RQ's settings, so its app's tables are made too: the template serves both backends
    # (migrating needs no Redis; a worker on a shared database refuses missing migrations).
    rq = {"CHEESESHOP_TASKS_BACKEND": "rq", "CHEESESHOP_RQ_URL": "redis://127.0.0.1:1/0"}
    subprocess.run(
        [sys.executable, "-m", "cheeseshop.cli", "manage", "migrate", "-v", "0"],
        env={**env, **rq},
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Iterator[dict]:
    """A database migrated once for all of these tests (a template each test copies): a
    PostgreSQL database when the suite runs on PostgreSQL, else a SQLite file."""
    base = os.environ.get("CHEESESHOP_TEST_DATABASE_URL")
    if not base:
        data_dir = tmp_path_factory.mktemp("template")
        _migrate({**clean_env(), "CHEESESHOP_DATA_DIR": str(data_dir)})
        yield {"sqlite": data_dir / "cheeseshop.sqlite3"}
        return
    import psycopg

    name = f"cheeseshop_tasks_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = base.rsplit("/", 1)[0] + "/" + name
        _migrate({**clean_env(), "CHEESESHOP_DATABASE_URL": url})
        yield {"postgresql": (base, name)}
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_database(template: dict, data_dir: Path, cleanups: list) -> dict:
    """A database of the test's own, copied from the migrated template; its settings."""
    data_dir.mkdir(mode=0o700, parents=True)
    if "sqlite" in template:
        shutil.copyfile(template["sqlite"], data_dir / "cheeseshop.sqlite3")
        return {}
    base, template_name = template["postgresql"]
    url = new_postgresql_database(base, "cheeseshop_tasks", cleanups, template=template_name)
    return {"CHEESESHOP_DATABASE_URL": url}


def _workers(directory: Path, template: dict, extra: dict) -> Iterator[Workers]:
    cleanups: list = []
    env = clean_env()
    env.update(
        {
            "CHEESESHOP_DATA_DIR": str(directory / "data"),
            # Short leases and delays, so a test sees them expire.
            "CHEESESHOP_TASK_LEASE": "3",
            "CHEESESHOP_TASK_RETRY_DELAY": "1",
            "CHEESESHOP_TASK_MAX_ATTEMPTS": "3",
            **_copy_database(template, directory / "data", cleanups),
            **extra,
        }
    )
    workers = Workers(env, directory)
    try:
        yield workers
    finally:
        workers.stop_all()
        for cleanup in reversed(cleanups):
            cleanup()


@pytest.fixture
def database_workers(tmp_path, migrated_database) -> Iterator[Workers]:
    """Workers of the database backend (django-tasks-db)."""
    yield from _workers(tmp_path, migrated_database, {"CHEESESHOP_TASKS_BACKEND": "database"})


@pytest.fixture
def rq_workers(tmp_path, migrated_database) -> Iterator[Workers]:
    """RQ workers, on a redis-server of the test's own."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with running_redis(tmp_path) as url:
        yield from _workers(
            tmp_path,
            migrated_database,
            {"CHEESESHOP_TASKS_BACKEND": "rq", "CHEESESHOP_RQ_URL": url},
        )
