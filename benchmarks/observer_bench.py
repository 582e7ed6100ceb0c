#!/usr/bin/env python3
"""What counting and timing a request costs: ``RequestObserver`` (cheeseshop.operations) around
an application that answers at once, against the bare application, per request.

Run from a source tree with cheeseshop's dependencies installed:

    PYTHONPATH=src python benchmarks/observer_bench.py [--requests N]

It measures twice, each in a fresh process: with prometheus-client counting in the process
(another WSGI server) and in multiprocess mode (PROMETHEUS_MULTIPROC_DIR set, as under
``cheeseshop serve``: each count is written to a memory-mapped file).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from io import BytesIO


def measure(requests: int) -> None:
    import django

    django.setup()
    from cheeseshop.operations.observer import RequestObserver
    from cheeseshop.webserver import ROUTE_VARIABLE

    def answer(environ, start_response):
        environ[ROUTE_VARIABLE] = "index:simple-detail"
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"page"]

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/simple/x/", "wsgi.input": BytesIO()}

    def start_response(status, headers, exc_info=None):
        return None

    def per_request(app) -> float:
        for _ in range(1000):  # warm up (the label children are made on first use)
            app(dict(environ), start_response)
        started = time.perf_counter()
        for _ in range(requests):
            app(dict(environ), start_response)
        return (time.perf_counter() - started) / requests * 1e6

    bare = min(per_request(answer) for _ in range(3))
    observed = min(per_request(RequestObserver(answer)) for _ in range(3))
    mode = "multiprocess" if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else "in-process"
    print(
        f"{mode:>12}: bare {bare:.2f} µs, observed {observed:.2f} µs, "
        f"cost {observed - bare:.2f} µs per request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.requests)
        return
    with tempfile.TemporaryDirectory() as data_dir, tempfile.TemporaryDirectory() as metrics:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cheeseshop.settings",
            "CHEESESHOP_DATA_DIR": data_dir,
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        for extra in ({}, {"PROMETHEUS_MULTIPROC_DIR": metrics}):
            command = [sys.executable, __file__, "--measure", "--requests", str(args.requests)]
            subprocess.run(command, env={**env, **extra}, check=True)


if __name__ == "__main__":
    main()
