"""What ``cheeseshop serve`` becomes once the web server runs: a process that imports nothing
but the standard library (run as ``python -I -S supervisor.py``), so the ~17 MB that loading
the settings cost are given back for as long as the index runs.

It waits for the web server (uWSGI's master, in a session of its own, so that Ctrl-C reaches
only this process), turns Ctrl-C and SIGTERM into one SIGTERM for it (a graceful stop), says
so if it exits by itself, removes the server's private run directory, and exits with its code.
"""

import contextlib
import os
import shutil
import signal
import sys
import time

# A stopping server gets this long (its own graceful stop takes up to 10 s), then is killed.
STOP_SECONDS = 15


def _exit_code(status: int) -> int:
    return os.waitstatus_to_exitcode(status) if status else 0


def supervise(pid: int, run_dir: str) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    try:
        while not stopping:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = _exit_code(status)
                sys.stdout.write(f"cheeseshop: the web server exited with {code}\n")
                sys.stdout.flush()
                return code or 1
            time.sleep(0.2)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return exit_code
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return exit_code
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever of its group is left
            os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(supervise(int(sys.argv[1]), sys.argv[2]))
