"""RQ's workers as `cheeseshop worker` runs them, on a redis-server of the test's own: tasks
enqueued as an upload enqueues them run, survive a worker killed mid-task, and are retried."""

import re

import redis
from rq import Queue

from tests.processes import wait_for
from tests.taskqueue.conftest import (
    assert_finished_by_another_process,
    assert_retried_twice_then_given_up,
    marker_lines,
)


def test_a_task_whose_process_died_after_the_commit_is_relayed_by_a_worker(rq_workers, tmp_path):
    marker = tmp_path / "nap"
    rq_workers.run("enqueue-then-die", "nap", str(marker), "0")
    assert rq_workers.run("pending").strip() == "1", "committed, never handed to RQ"
    rq_workers.start()

    wait_for("the task done", lambda: marker_lines(marker, ".done"), timeout=60)
    assert rq_workers.run("pending").strip() == "0"


def test_an_rq_worker_killed_mid_task_leaves_the_task_to_another_worker(rq_workers, tmp_path):
    marker = tmp_path / "nap"
    second = rq_workers.start_then_kill_mid_task(marker)
    assert rq_workers.run("pending").strip() == "0", "the outbox row went with the relay"

    assert_finished_by_another_process(marker, timeout=90)
    assert re.search(
        r"task nap \(\S+\) failed, attempt 1 of 3: AbandonedJobError; retrying in",
        rq_workers.log(second),
    )


def test_a_failing_task_is_retried_with_backoff_then_left_in_the_failed_jobs(rq_workers, tmp_path):
    marker = tmp_path / "fail"
    worker = rq_workers.start()
    rq_workers.run("enqueue", "fail", str(marker))

    queue = Queue("default", connection=redis.Redis.from_url(rq_workers.env["CHEESESHOP_RQ_URL"]))
    wait_for("the job failed for good", lambda: queue.failed_job_registry.count == 1, timeout=60)
    attempts = [float(line[2]) for line in marker_lines(marker)]
    assert len(attempts) == 3
    # CHEESESHOP_TASK_RETRY_DELAY=1: 1 s, then 2 s; RQ schedules to the whole second, so each
    # retry may come up to a second early.
    assert attempts[2] - attempts[1] >= 1
    assert attempts[2] - attempts[0] >= 2
    log = rq_workers.log(worker)
    assert_retried_twice_then_given_up(log)
