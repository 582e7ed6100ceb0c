"""The database backend's workers, as real processes: leases, retries, failures."""

import re

from tests.processes import wait_for
from tests.taskqueue.conftest import (
    assert_finished_by_another_process,
    assert_retried_twice_then_given_up,
    marker_lines,
)


def test_a_worker_killed_mid_task_leaves_the_task_to_another_worker(database_workers, tmp_path):
    marker = tmp_path / "nap"
    second = database_workers.start_then_kill_mid_task(marker)

    assert_finished_by_another_process(marker, timeout=60)
    assert database_workers.run("status", str(marker)).split() == ["SUCCESSFUL", "2"]
    assert re.search(
        r"task nap \(\S+\) failed, attempt 1 of 3: WorkerLost: worker \w+ gave no sign of life "
        r"for 3 s; retrying in 0 s",
        database_workers.log(second),
    )


def test_a_failing_task_is_retried_with_backoff_then_left_failed(database_workers, tmp_path):
    marker = tmp_path / "fail"
    worker = database_workers.start()
    database_workers.run("enqueue", "fail", str(marker))

    wait_for(
        "the task failed for good",
        lambda: database_workers.run("status", str(marker)).split() == ["FAILED", "3"],
        timeout=60,
    )
    attempts = [float(line[2]) for line in marker_lines(marker)]
    assert len(attempts) == 3
    # CHEESESHOP_TASK_RETRY_DELAY=1: 1 s, then 2 s (the worker polls every 0.1 s).
    assert attempts[1] - attempts[0] >= 1
    assert attempts[2] - attempts[1] >= 2
    log = database_workers.log(worker)
    assert_retried_twice_then_given_up(log)
    assert worker.poll() is None, "the worker lives on"
