"""``cheeseshop worker``: the configured backend's worker, N processes, or a one-line refusal."""

import subprocess
import sys

import pytest

from tests.processes import wait_for
from tests.taskqueue.conftest import clean_env


def _worker(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cheeseshop.cli", "worker", *args],
        env={**clean_env(), "CHEESESHOP_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "status", "message"),
    [
        (
            {"CHEESESHOP_TASKS_BACKEND": "rq"},
            1,
            "cheeseshop: CHEESESHOP_TASKS_BACKEND=rq needs CHEESESHOP_RQ_URL "
            "(redis://host:6379/0, or rediss:// for TLS)",
        ),
        (
            {"CHEESESHOP_TASKS_BACKEND": "rq", "CHEESESHOP_RQ_URL": "http://redis:6379"},
            1,
            "cheeseshop: CHEESESHOP_RQ_URL must be a redis://, rediss:// or unix:// URL, "
            "not 'http://redis:6379'",
        ),
        (
            {"CHEESESHOP_TASK_LEASE": "1"},
            1,
            "cheeseshop: CHEESESHOP_TASK_LEASE must be at least 3 seconds, not 1",
        ),
        (
            {"CHEESESHOP_TASKS_BACKEND": "immediate"},
            2,
            "cheeseshop worker: CHEESESHOP_TASKS_BACKEND=immediate has no worker to run: tasks "
            "run where they are enqueued (use database or rq for background workers)",
        ),
    ],
)
def test_a_configuration_without_a_worker_to_run_is_refused_in_one_line(
    tmp_path, env, status, message
):
    result = _worker(tmp_path, **env)
    assert (result.returncode, result.stderr, result.stdout) == (status, message + "\n", "")


def test_an_unknown_queue_is_refused_naming_the_queues(tmp_path):
    result = _worker(tmp_path, "--queues", "default,mail")
    assert result.returncode == 2
    assert result.stderr == (
        "cheeseshop worker: --queues names no queue of this index: mail (its queues: default)\n"
    )


def test_concurrency_runs_that_many_database_workers_side_by_side(database_workers, tmp_path):
    database_workers.start("--concurrency", "2")
    for name in ("one", "two"):
        # Naps longer than any wait here: a worker never finishes its first and takes the other.
        database_workers.run("enqueue", "nap", str(tmp_path / name), "600")

    def started() -> list[list[str]]:
        return [
            (tmp_path / f"{name}.started").read_text().split()
            for name in ("one", "two")
            if (tmp_path / f"{name}.started").exists()
        ]

    # Each runs one task at a time: the second nap starts while the first sleeps, elsewhere.
    (one, two) = wait_for(
        "both tasks started", lambda: len(started()) == 2 and started(), timeout=180
    )
    assert one[1] != two[1], "two processes"
