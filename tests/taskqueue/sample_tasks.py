"""Tasks that exist only for the task queue's tests: each leaves a trace in files named by its
``marker`` argument, so a test in another process sees what ran, where and when."""

import os
import time
from pathlib import Path

from django_tasks import task


def _note(path: str, what: str) -> None:
    with Path(path).open("a") as f:
        f.write(f"{what} {os.getpid()} {time.time()}\n")


@task()
def nap(marker: str, seconds: float) -> int:
    """Note the start, sleep, note the end: a task a worker can be killed in the middle of.
    Only its first run sleeps, so a test sees the run after a kill end at once."""
    first_run = not Path(f"{marker}.started").exists()
    _note(f"{marker}.started", "started")
    time.sleep(seconds if first_run else 0)
    _note(f"{marker}.done", "done")
    return os.getpid()


@task()
def fail(marker: str) -> None:
    """Note the attempt, then fail."""
    _note(marker, "attempt")
    raise RuntimeError("the sample task fails every time")
