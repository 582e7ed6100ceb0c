"""Processes the tests start and stop themselves: free ports, a process and all it started
(read from /proc), polling until something happens, and a private ``redis-server``."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminate(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL if it has not exited after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stat_fields(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` after the command name: state, parent, ... ("pid (comm) state ppid
    ...": comm may hold spaces, the rest does not). OSError once the process is gone."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def parent_of(pid: int) -> int:
    return int(stat_fields(pid)[1])


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it. RQ's work horses, uWSGI's workers and serve's
    worker run in sessions or groups of their own, so a process group does not cover them."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(stat.parent.name)
            children.setdefault(parent_of(pid), []).append(pid)
    tree, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        tree.append(pid)
        frontier += children.get(pid, [])
    return tree


def kill_tree(root: int) -> None:
    """SIGKILL to ``root`` and every process below it, as a crashed machine would stop them."""
    for pid in process_tree(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for(what: str, probe: Callable, timeout: float = 60, interval: float = 0.1):
    """probe()'s first true answer, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"{what}: not after {timeout:.0f} s"
        time.sleep(interval)


@contextlib.contextmanager
def running_redis(directory: Path) -> Iterator[str]:
    """A redis-server of the caller's own, on a free port, persisting nothing (no keys left in
    anyone's database); yields its URL."""
    import redis

    port = free_port()
    log = directory / "redis.log"
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:

        def answers() -> bool:
            assert server.poll() is None, log.read_text()
            with contextlib.suppress(redis.ConnectionError):
                return redis.Redis.from_url(url).ping()
            return False

        wait_for("redis-server answers", answers, timeout=30, interval=0.05)
        yield url
    finally:
        terminate(server, timeout=30)
