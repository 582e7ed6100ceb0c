#!/usr/bin/env python3
"""Benchmark cheeseshop's scaled topology against one machine's, in one run, and report ratios.

1. ``/simple/<project>/`` under ``wrk``: one web node, then two (``serve --no-worker
   --no-migrate`` on one PostgreSQL database, Redis cache), with the same client load: one
   ``wrk`` against one node, then one ``wrk`` per node at once with half the threads and
   connections each.
2. ``twine upload`` of the corpus, and the time until every task the uploads enqueued has run:
   ``serve`` with its embedded database worker vs web nodes with two RQ workers.
3. Downloads of a large wheel: streamed by ``serve`` from local storage vs answered with a 302
   to a presigned URL on an S3 server (moto's, itself Python: the bytes/s are moto's; the index's
   CPU per download is the figure that carries over to a real object store).
4. The memory (PSS and RSS) of every process tree: nodes, workers, Redis, the S3 server.

It reuses index_bench.py's corpus, process handling, wrk script and upload measurement. Run it
with the project's environment (it reads the queues with psycopg, redis-py and rq to know when
the uploads' tasks are done). Needs PostgreSQL (``--database-url``: a server where it may create
and drop databases), ``redis-server``, ``moto_server``, ``wrk`` and ``twine``. Redis and the S3
server are started here, on free ports, and stopped at the end. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import index_bench as bench  # a sibling script, not a package
from wheels import wheel_bytes

RESULTS_PREFIX = "cluster-"
BIG_PROJECT = "bench-big"
S3_KEY_ID, S3_SECRET = "bench-key", "bench-secret"  # moto takes any
QUEUE_POLL_S = 0.05


# --- Processes ------------------------------------------------------------------------------


@dataclass
class Node(bench.CheeseshopServer):
    """``cheeseshop serve`` with the configuration's environment and arguments."""

    extra_env: dict = field(default_factory=dict)
    serve_args: tuple = ()

    def environment(self) -> dict[str, str]:
        return {**super().environment(), **self.extra_env}

    def start(self) -> None:
        argv = [self.executable, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self._spawn([*argv, *self.serve_args], self.environment())


def start_process(name: str, argv: list[str], env: dict, work_dir: Path) -> bench.ServerProcess:
    work_dir.mkdir(parents=True, exist_ok=True)
    return bench.ServerProcess(
        name, argv, {**os.environ, **env}, work_dir, work_dir / f"{name}.log"
    )


def cheeseshop(executable: str, env: dict, log_path: Path, *args: str) -> None:
    bench.run_checked(
        [executable, *args], log_path, env={**os.environ, **env}, stdin=subprocess.DEVNULL
    )


@contextlib.contextmanager
def redis_server(work_dir: Path):
    import redis

    port = bench.free_port()
    process = start_process(
        "redis",
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(work_dir)],
        {}, work_dir,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(redis.ConnectionError):
                if redis.Redis.from_url(url).ping():
                    break
            if time.monotonic() > deadline or not process.is_running():
                raise bench.BenchError(f"redis-server did not start:\n{process.tail_of_log()}")
            time.sleep(0.05)
        yield process, url
    finally:
        process.stop()


@contextlib.contextmanager
def s3_server(work_dir: Path, moto_server: str):
    import boto3

    port = bench.free_port()
    process = start_process("s3", [moto_server, "-H", "127.0.0.1", "-p", str(port)], {}, work_dir)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        bench.wait_until_ready(f"{endpoint}/moto-api/", process, timeout=30)
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id=S3_KEY_ID, aws_secret_access_key=S3_SECRET,
        )  # fmt: skip
        client.create_bucket(Bucket=bucket)
        yield (
            process,
            {
                "CHEESESHOP_FILES_STORAGE": "s3",
                "CHEESESHOP_S3_BUCKET": bucket,
                "CHEESESHOP_S3_ENDPOINT_URL": endpoint,
                "CHEESESHOP_S3_REGION": "us-east-1",
                "CHEESESHOP_S3_ACCESS_KEY_ID": S3_KEY_ID,
                "CHEESESHOP_S3_SECRET_ACCESS_KEY": S3_SECRET,
                "CHEESESHOP_S3_PREFIX": "files",
            },
        )
    finally:
        process.stop()


@contextlib.contextmanager
def postgres_database(server_url: str, prefix: str):
    """A new database on the server at server_url, dropped afterwards; yields its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Queues ---------------------------------------------------------------------------------


def pending_tasks(database_url: str, redis_url: str | None) -> tuple[int, int]:
    """(tasks still to run now, tasks failed): database backend rows plus RQ's queues."""
    import psycopg

    pending = failed = 0
    with psycopg.connect(database_url) as connection:
        exists = connection.execute(
            "SELECT to_regclass('django_tasks_database_dbtaskresult') IS NOT NULL"
        ).fetchone()[0]
        if exists:
            row = connection.execute(
                "SELECT count(*) FILTER (WHERE status = 'RUNNING' OR (status = 'READY' AND "
                "  (run_after <= now() OR run_after >= '9999-01-01'))),"
                " count(*) FILTER (WHERE status = 'FAILED')"
                " FROM django_tasks_database_dbtaskresult"
            ).fetchone()
            pending, failed = row
    if redis_url:
        import redis
        from rq import Queue

        connection = redis.Redis.from_url(redis_url)
        for queue in Queue.all(connection=connection):
            pending += queue.count + queue.started_job_registry.count
            failed += queue.failed_job_registry.count
    return pending, failed


def wait_until_drained(database_url: str, redis_url: str | None, timeout: float) -> int:
    """Wait until no task is queued or running; returns the failed count."""
    deadline = time.monotonic() + timeout
    while True:
        pending, failed = pending_tasks(database_url, redis_url)
        if not pending:
            return failed
        if time.monotonic() > deadline:
            raise bench.BenchError(f"{pending} tasks still pending after {timeout:.0f} s")
        time.sleep(QUEUE_POLL_S)


def measure_upload_until_done(
    server, corpus, twine: Path, log_dir: Path, *, database_url: str, redis_url: str | None
) -> dict:
    started = time.monotonic()
    result = bench.measure_upload(server, corpus, twine, log_dir)
    result["failed_tasks"] = wait_until_drained(database_url, redis_url, timeout=600)
    result["until_done_s"] = time.monotonic() - started
    result["until_done_files_per_s"] = result["files"] / result["until_done_s"]
    bench.log(
        f"{server.name}: {result['files_per_s']:.1f} files/s uploaded, "
        f"{result['until_done_files_per_s']:.1f} files/s with every task done"
    )
    return result


# --- Simple pages on one node and on two ----------------------------------------------------


def measure_simple(
    nodes: list[Node], script: Path, args: argparse.Namespace, connections: int
) -> dict:
    """One wrk per node, at once, sharing ``connections`` and ``args.threads`` between them."""
    share = len(nodes)
    with ThreadPoolExecutor(max_workers=share) as pool:
        runs = list(
            pool.map(
                lambda node: bench.run_wrk(
                    node, script, wrk=args.wrk, connections=max(1, connections // share),
                    threads=max(1, args.threads // share), seconds=args.duration,
                ),
                nodes,
            )
        )  # fmt: skip
    requests = sum(run["requests"] for run in runs)
    cpu_ms = sum(run["server_cpu_ms_per_request"] * run["requests"] for run in runs)
    return {
        "nodes": len(nodes),
        "connections": connections,
        "req_per_s": sum(run["req_per_s"] for run in runs),
        # The slowest node's percentiles: what a client behind a balancer may meet.
        "p50_ms": max(run["p50_ms"] for run in runs),
        "p99_ms": max(run["p99_ms"] for run in runs),
        "server_cpu_ms_per_request": cpu_ms / requests if requests else None,
        "errors": sum(sum(run["errors"].values()) for run in runs),
        "per_node": runs,
    }


# --- Downloads ------------------------------------------------------------------------------


def build_big_wheel(out_dir: Path, megabytes: int) -> Path:
    """A valid wheel carrying ``megabytes`` of incompressible data, stored uncompressed."""
    version = "1.0.0"
    filename, data = wheel_bytes(
        BIG_PROJECT,
        version,
        bench.core_metadata(BIG_PROJECT, version),
        payload=os.urandom(megabytes * 2**20),
        generator="cluster_bench",
    )
    path = out_dir / filename
    path.write_bytes(data)
    return path


def file_url(node: Node, filename: str) -> str:
    request = urllib.request.Request(
        f"{node.base_url}/simple/{BIG_PROJECT}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        page = json.load(response)
    url = next(f["url"] for f in page["files"] if f["filename"] == filename)
    return urllib.parse.urljoin(request.full_url, url)


def measure_downloads(
    url: str, size: int, seconds: float, concurrency: int, servers: dict[str, int]
) -> dict:
    """Full downloads of url (redirects followed) by ``concurrency`` clients for ``seconds``;
    ``servers``: name -> pid of the trees whose CPU per download is recorded."""
    stop = threading.Event()
    latencies: list[float] = []
    failures: list[str] = []

    def client() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                received = 0
                with urllib.request.urlopen(url, timeout=60) as response:
                    while chunk := response.read(2**20):
                        received += len(chunk)
                if received != size:
                    failures.append(f"{received} bytes, not {size}")
                    return
            except Exception as error:  # reported below, with the URL
                failures.append(repr(error))
                return
            latencies.append(time.monotonic() - started)

    # Warm-up: each web thread's first presigned URL builds its S3 client (boto3 is slow to
    # start), which a steady state does not pay.
    def fetch(_) -> int:
        with urllib.request.urlopen(url, timeout=60) as response:
            return len(response.read())

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(fetch, range(2 * concurrency)))
    cpu_before = {name: bench.tree_cpu_seconds(pid) for name, pid in servers.items()}
    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures or not latencies:
        raise bench.BenchError(f"download of {url} failed: {failures[:1] or 'too slow'}")
    count = len(latencies)
    latencies.sort()
    return {
        "downloads": count,
        "downloads_per_s": count / elapsed,
        "mb_per_s": count * size / 2**20 / elapsed,
        "p50_ms": latencies[count // 2] * 1000 if count else None,
        "cpu_ms_per_download": {
            name: (bench.tree_cpu_seconds(pid) - cpu_before[name]) * 1000 / count
            for name, pid in servers.items()
        }
        if count
        else {},
    }


def upload_big_wheel(node: Node, wheel: Path, twine: Path, log_dir: Path) -> None:
    argv = [
        str(twine), "upload", "--non-interactive", "--disable-progress-bar",
        "--repository-url", node.upload_url, "-u", node.upload_user, "-p", node.upload_password,
        str(wheel),
    ]  # fmt: skip
    bench.run_checked(argv, log_dir / f"{node.name}-big-twine.log")


def memory(processes: dict[str, int]) -> dict:
    return {
        name: {"pss_mb": bench.tree_pss_mb(pid), "rss_mb": bench.tree_rss_mb(pid)}
        for name, pid in processes.items()
    }


# --- The two configurations -----------------------------------------------------------------


def common_env() -> dict:
    return {
        "CHEESESHOP_DEBUG": "false",
        "CHEESESHOP_UPLOAD_REQUIRES_2FA": "false",
        "CHEESESHOP_MAX_FILE_SIZE": str(512 * 2**20),
    }


def run_embedded(args, corpus, big_wheel: Path, twine: Path, run_dir: Path) -> dict:
    """One ``serve``: database task backend and its embedded worker, local file storage."""
    result: dict = {}
    with postgres_database(args.database_url, f"{args.database_prefix}_embedded") as db_url:
        work_dir = run_dir / "embedded"
        work_dir.mkdir()
        env = {
            **common_env(),
            "CHEESESHOP_DATABASE_URL": db_url,
            "CHEESESHOP_TASKS_BACKEND": "database",
            "CHEESESHOP_WEB_WORKERS": str(args.web_workers),
            "CHEESESHOP_TUF_BIT_LENGTH": str(args.tuf_bit_length),
        }
        node = Node("embedded", work_dir, bench.free_port(), executable=args.cheeseshop_bin,
                    extra_env=env)  # fmt: skip
        try:
            node.start()
            node_env = node.environment()
            cheeseshop(args.cheeseshop_bin, node_env, work_dir / "setup.log", "tuf", "init",
                       "--keys-dir", str(work_dir / "keys"),
                       "--bit-length", str(args.tuf_bit_length))  # fmt: skip
            node.create_uploader()
            result["upload"] = measure_upload_until_done(
                node, corpus, twine, run_dir / "logs", database_url=db_url, redis_url=None
            )
            upload_big_wheel(node, big_wheel, twine, run_dir / "logs")
            wait_until_drained(db_url, None, timeout=120)
            url = file_url(node, big_wheel.name)
            bench.log(f"embedded: downloading {big_wheel.name}, streamed")
            result["download"] = measure_downloads(
                url, big_wheel.stat().st_size, args.duration, args.download_clients,
                {"index": node.process.pid},
            )  # fmt: skip
            result["memory"] = memory({"serve (web + embedded worker)": node.process.pid})
        finally:
            node.stop()
    return result


def run_cluster(args, corpus, big_wheel: Path, twine: Path, run_dir: Path) -> dict:
    """Two web-only nodes, two RQ workers, Redis, S3: the topology of compose.yaml."""
    result: dict = {}
    work_dir = run_dir / "cluster"
    work_dir.mkdir()
    processes: list = []
    with contextlib.ExitStack() as stack:
        db_url = stack.enter_context(
            postgres_database(args.database_url, f"{args.database_prefix}_cluster")
        )
        redis_process, redis_url = stack.enter_context(redis_server(work_dir))
        s3_process, s3_env = stack.enter_context(s3_server(work_dir, args.moto_server))
        stack.callback(lambda: [process.stop() for process in reversed(processes)])
        env = {
            **common_env(),
            **s3_env,
            "CHEESESHOP_DATABASE_URL": db_url,
            "CHEESESHOP_SECRET_KEY": secrets.token_urlsafe(50),
            "CHEESESHOP_CACHE_URL": redis_url,
            "CHEESESHOP_RATELIMIT_STORAGE": redis_url,
            "CHEESESHOP_TASKS_BACKEND": "rq",
            "CHEESESHOP_RQ_URL": redis_url,
            "CHEESESHOP_WEB_WORKERS": str(args.web_workers),
            "CHEESESHOP_TUF_BIT_LENGTH": str(args.tuf_bit_length),
            "CHEESESHOP_TUF_ONLINE_KEY_URI": f"file2:{work_dir / 'online_key'}",
        }
        setup_env = {**env, "CHEESESHOP_DATA_DIR": str(work_dir / "setup")}
        setup_log = work_dir / "setup.log"
        cheeseshop(args.cheeseshop_bin, setup_env, setup_log, "migrate")
        cheeseshop(args.cheeseshop_bin, setup_env, setup_log, "tuf", "init",
                   "--keys-dir", str(work_dir / "keys"),
                   "--bit-length", str(args.tuf_bit_length))  # fmt: skip
        nodes = []
        for number in (1, 2):
            node_dir = work_dir / f"node-{number}"
            node_dir.mkdir()
            node = Node(f"node-{number}", node_dir, bench.free_port(),
                        executable=args.cheeseshop_bin, extra_env=env,
                        serve_args=("--no-worker", "--no-migrate"))  # fmt: skip
            processes.append(node)
            node.start()
            nodes.append(node)
        workers = {}
        for number in (1, 2):
            name = f"worker-{number}"
            workers[name] = start_process(
                name, [args.cheeseshop_bin, "worker"],
                {**env, "CHEESESHOP_DATA_DIR": str(work_dir / name)}, work_dir / name,
            )  # fmt: skip
            processes.append(workers[name])
        nodes[0].create_uploader()
        result["upload"] = measure_upload_until_done(
            nodes[0], corpus, twine, run_dir / "logs", database_url=db_url, redis_url=redis_url
        )
        for node in nodes:
            bench.verify_simple_pages(node, corpus)

        script = run_dir / "wrk-cluster.lua"
        bench.write_wrk_script(script, nodes[0], corpus, args.threads)
        bench.run_wrk(nodes[0], script, wrk=args.wrk, connections=args.connections,
                      threads=args.threads, seconds=min(3.0, args.duration))  # fmt: skip
        result["simple"] = {}
        for count in (1, 2):
            bench.log(f"cluster: wrk through {count} node(s), {args.connections} connections")
            measured = measure_simple(nodes[:count], script, args, args.connections)
            result["simple"][f"nodes{count}"] = measured
            bench.log(
                f"cluster: {count} node(s): {measured['req_per_s']:.0f} req/s, "
                f"p99 {measured['p99_ms']:.2f} ms"
            )

        upload_big_wheel(nodes[0], big_wheel, twine, run_dir / "logs")
        wait_until_drained(db_url, redis_url, timeout=120)
        url = file_url(nodes[1], big_wheel.name)
        bench.log("cluster: downloading the big wheel through presigned redirects")
        result["download"] = measure_downloads(
            url, big_wheel.stat().st_size, args.duration, args.download_clients,
            {"index": nodes[1].process.pid, "s3": s3_process.pid},
        )  # fmt: skip
        result["memory"] = memory(
            {
                **{f"{node.name} (serve --no-worker)": node.process.pid for node in nodes},
                **{f"{name} (cheeseshop worker, RQ)": w.pid for name, w in workers.items()},
                "redis-server": redis_process.pid,
                "moto_server (S3)": s3_process.pid,
            }
        )
    return result


# --- Report ---------------------------------------------------------------------------------


def row(label: str, better: str, first, second, digits: int = 1) -> str:
    def cell(value) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"

    ratio = f"{second / first:.2f}x" if first and second is not None else "—"
    return f"| {label} | {better} | {cell(first)} | {cell(second)} | {ratio} |"


def render(report: dict) -> str:
    embedded, cluster = report["embedded"], report["cluster"]
    get = bench.lookup
    one, two = get(cluster, "simple.nodes1"), get(cluster, "simple.nodes2")
    conns = report["parameters"]["connections"]
    lines = [
        "| figure | better | one | other | other / one |",
        "|---|---|---|---|---|",
        "| **simple pages** | | **1 node** | **2 nodes** | |",
        row(f"/simple/<p>/ req/s, {conns} conns", "higher", get(one or {}, "req_per_s"),
            get(two or {}, "req_per_s"), 0),
        row("p50 ms (slowest node)", "lower", get(one or {}, "p50_ms"),
            get(two or {}, "p50_ms"), 2),
        row("p99 ms (slowest node)", "lower", get(one or {}, "p99_ms"),
            get(two or {}, "p99_ms"), 2),
        row("server CPU ms/request", "lower", get(one or {}, "server_cpu_ms_per_request"),
            get(two or {}, "server_cpu_ms_per_request"), 3),
        "| **uploads** | | **embedded worker** | **2 RQ workers** | |",
        row("twine upload, files/s", "higher", get(embedded, "upload.files_per_s"),
            get(cluster, "upload.files_per_s")),
        row("upload until every task ran, files/s", "higher",
            get(embedded, "upload.until_done_files_per_s"),
            get(cluster, "upload.until_done_files_per_s")),
        row("failed tasks", "lower", get(embedded, "upload.failed_tasks"),
            get(cluster, "upload.failed_tasks"), 0),
        "| **downloads** | | **streamed (local)** | **presigned 302 (moto S3)** | |",
        row(f"{report['parameters']['download_mb']} MB wheel, MB/s", "higher",
            get(embedded, "download.mb_per_s"), get(cluster, "download.mb_per_s")),
        row("downloads/s", "higher", get(embedded, "download.downloads_per_s"),
            get(cluster, "download.downloads_per_s"), 2),
        row("index CPU ms/download", "lower",
            get(embedded, "download.cpu_ms_per_download.index"),
            get(cluster, "download.cpu_ms_per_download.index"), 2),
        row("S3 server CPU ms/download", "lower", None,
            get(cluster, "download.cpu_ms_per_download.s3"), 2),
    ]  # fmt: skip
    lines += ["", "| process (tree) | PSS MB | RSS MB |", "|---|---|---|"]
    for config in (embedded, cluster):
        for name, figures in config.get("memory", {}).items():
            pss = figures["pss_mb"]
            lines.append(
                f"| {name} | {'—' if pss is None else f'{pss:.0f}'} | {figures['rss_mb']:.0f} |"
            )
    params = report["parameters"]
    lines += [
        "",
        f"{params['files']} files ({params['projects']} projects); wrk {params['threads']} "
        f"threads in all, {params['duration_s']:g} s per run; {params['web_workers']} web "
        f"worker process(es) per node; {report['machine']['cpus']} CPUs shared by servers and "
        "clients.",
    ]
    for name in ("embedded", "cluster"):
        if "error" in report[name]:
            lines.append(f"{name}: FAILED — {' '.join(report[name]['error'].split())[:400]}")
    return "\n".join(lines)


# --- Driver ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=50, help="projects in the corpus")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in all")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads in all")
    parser.add_argument("--web-workers", type=int, default=1, help="web processes per node")
    parser.add_argument("--download-mb", type=int, default=8, help="size of the big wheel")
    parser.add_argument("--download-clients", type=int, default=4, help="parallel downloads")
    parser.add_argument("--tuf-bit-length", type=int, default=8, help="TUF bins: 2**N")
    parser.add_argument(
        "--database-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where databases may be created (default: %(default)s)",
    )
    parser.add_argument("--database-prefix", default="cheeseshop_bench", help="their names")
    parser.add_argument("--only", default="embedded,cluster", help="configurations to run")
    parser.add_argument("--keep", action="store_true", help="keep this run's work directory")
    parser.add_argument("--cheeseshop-bin", default=None, help="default: next to this Python")
    parser.add_argument("--twine", default=None, help="default: next to this Python")
    parser.add_argument("--moto-server", default=None, help="default: next to this Python")
    parser.add_argument("--wrk", default="wrk")
    parser.add_argument("--work-dir", type=Path, default=bench.BENCH_DIR / ".work")
    parser.add_argument("--results-dir", type=Path, default=bench.BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    here = Path(sys.executable).parent
    for option, program in (("cheeseshop_bin", "cheeseshop"), ("twine", "twine"),
                            ("moto_server", "moto_server")):  # fmt: skip
        given = getattr(args, option) or str(here / program)
        found = shutil.which(given)
        if found is None:
            parser.error(f"{program} not found at {given}: pass --{option.replace('_', '-')}")
        setattr(args, option, found)
    for program in (args.wrk, "redis-server"):
        if shutil.which(program) is None:
            parser.error(f"{program} not found: install it (apt-get install -y wrk redis-server)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, bench.interrupt_on_sigterm)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.work_dir / "runs").mkdir(parents=True, exist_ok=True)
    run_dir = Path(
        tempfile.mkdtemp(prefix=f"{RESULTS_PREFIX}{stamp}-", dir=args.work_dir / "runs")
    )
    (run_dir / "logs").mkdir()
    failed = False
    try:
        corpus = bench.build_corpus(run_dir / "corpus", args.projects)
        big_wheel = build_big_wheel(run_dir, args.download_mb)
        bench.log(f"corpus: {len(corpus.files)} files; big wheel {args.download_mb} MB")
        report: dict = {
            "timestamp": stamp,
            "git": bench.git_revision(),
            "machine": bench.machine_info(),
            "parameters": {
                "projects": args.projects,
                "files": len(corpus.files),
                "duration_s": args.duration,
                "connections": args.connections,
                "threads": args.threads,
                "web_workers": args.web_workers,
                "download_mb": args.download_mb,
                "download_clients": args.download_clients,
                "tuf_bit_length": args.tuf_bit_length,
            },
        }
        runners = {"embedded": run_embedded, "cluster": run_cluster}
        for name, runner in runners.items():
            if name not in args.only:
                report[name] = {}
                continue
            try:
                report[name] = runner(args, corpus, big_wheel, Path(args.twine), run_dir)
            except Exception as error:  # one configuration's failure keeps the other's figures
                message = str(error) if isinstance(error, bench.BenchError) else repr(error)
                bench.log(f"{name}: FAILED: {message}")
                report[name] = {"error": message}
                failed = True
        args.results_dir.mkdir(parents=True, exist_ok=True)
        out = args.results_dir / f"{RESULTS_PREFIX}{stamp}.json"
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(render(report))
        print(f"\nJSON: {out}")
    except KeyboardInterrupt:
        bench.log("interrupted")
        failed = True
    finally:
        if args.keep or failed:
            bench.log(f"work directory kept: {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
