"""The scaled topology of docs/configuration.md, as real processes: PostgreSQL, Redis and an S3
server; ``cheeseshop migrate`` once; two web-only nodes (``serve --no-worker --no-migrate``),
each with a data directory of its own; two RQ workers (``cheeseshop worker``). Every client
meets one index, whichever node answers it.

One scenario on one cluster: starting it is the slow part. The PostgreSQL run of the suite runs
it (CHEESESHOP_TEST_DATABASE_URL); the SQLite run has no database to share between nodes.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from rq import Worker
from rq.job import Job, JobStatus

from tests.e2e.conftest import (
    LiveIndex,
    LiveProcess,
    _database_env,
    index_env,
    run_cli,
    start_command,
    start_index,
)
from tests.e2e.projects import build, make_project
from tests.processes import kill_tree, process_tree, running_redis, wait_for
from tests.s3 import S3Server, new_bucket

DATABASE_URL = os.environ.get("CHEESESHOP_TEST_DATABASE_URL", "")
LOGIN_LIMIT = 3
PASSWORD = "correct-horse-battery-staple-16"  # a test user's
PROJECT = "cluster-demo"
PUBLISH_TASK = "cheeseshop.tuf.tasks.publish_tuf"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"),
        reason="the cluster's nodes share a PostgreSQL database: set CHEESESHOP_TEST_DATABASE_URL",
    ),
    pytest.mark.skipif(
        shutil.which("redis-server") is None, reason="redis-server is not installed"
    ),
]


@dataclass
class Cluster:
    nodes: list[LiveIndex]
    workers: list[LiveProcess]
    env: dict  # what every node and worker shares
    redis_url: str
    database_url: str
    s3: S3Server
    trusted_root: bytes
    token: str
    dists: list[Path]
    rq_worker_names: dict[int, str]  # by the pid of the `cheeseshop worker` that runs it


def _stop_all(processes) -> None:
    """Stop them all at once: each waits for its own children to finish."""
    with ThreadPoolExecutor(max_workers=max(1, len(processes))) as pool:
        list(pool.map(lambda process: process.stop(), processes))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3_endpoint_url) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    with contextlib.ExitStack() as stack:
        cleanups: list = []
        stack.callback(lambda: [cleanup() for cleanup in reversed(cleanups)])
        database = _database_env(cleanups)
        redis_url = stack.enter_context(running_redis(root))
        s3 = new_bucket(s3_endpoint_url)
        stack.callback(_delete_bucket, s3)
        shared = root / "shared"  # what a cluster keeps on a shared volume: the online key
        shared.mkdir()
        env = {
            **database,
            **s3.env,
            "CHEESESHOP_SECRET_KEY": secrets.token_urlsafe(50),
            "CHEESESHOP_CACHE_URL": redis_url,
            "CHEESESHOP_RATELIMIT_STORAGE": redis_url,
            "CHEESESHOP_TASKS_BACKEND": "rq",
            "CHEESESHOP_RQ_URL": redis_url,
            "CHEESESHOP_TUF_ONLINE_KEY_URI": f"file2:{shared / 'online_key'}",
            "CHEESESHOP_TUF_BIT_LENGTH": "4",
            "CHEESESHOP_LOGIN_LIMIT": f"{LOGIN_LIMIT} per 5 minutes",
            # A task whose worker died is taken again after this many seconds without a sign
            # of life from it.
            "CHEESESHOP_TASK_LEASE": "4",
        }
        setup = index_env(root / "setup", env)
        run_cli(setup, "migrate")
        keys = root / "keys"  # the offline keys' removable media
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=4))
        # Everything else at once: 2 cores, and most of it is waiting for Python to start.
        starting = [
            pool.submit(start_index, root / f"node-{n}", env, ("--no-worker", "--no-migrate"))
            for n in (1, 2)
        ]
        workers = []
        stack.callback(lambda: _stop_all([*_started(starting), *workers]))
        for n in (1, 2):
            log = root / f"worker-{n}.log"
            workers.append(start_command(index_env(root / f"worker-{n}", env), log, "worker"))
        dists = pool.submit(build, make_project(root / "src", PROJECT, "1.0"), root / "dist")
        token = pool.submit(_initialise, setup, keys)
        registered = wait_for(
            "both RQ workers registered",
            lambda: len(found := _rq_workers(redis_url)) == 2 and found,
        )
        rq_worker_names = {
            worker.process.pid: rq_worker.name
            for worker in workers
            for rq_worker in registered
            if rq_worker.pid in process_tree(worker.process.pid)
        }
        assert len(rq_worker_names) == 2, "each `cheeseshop worker` runs one RQ worker"
        uploader_token = token.result()  # init has written the trusted root by now
        yield Cluster(
            nodes=[future.result() for future in starting],
            workers=workers,
            env=env,
            redis_url=redis_url,
            database_url=database["CHEESESHOP_DATABASE_URL"],
            s3=s3,
            trusted_root=(keys / "1.root.json").read_bytes(),
            token=uploader_token,
            dists=dists.result(),
            rq_worker_names=rq_worker_names,
        )


def _initialise(env: dict, keys: Path) -> str:
    """TUF's keys and first metadata, and the uploader: its API token."""
    run_cli(env, "tuf", "init", "--keys-dir", str(keys), "--bit-length", "4")
    run_cli(env, "user", "create", "alice", "--email", "alice@example.com",
            "--password-stdin", input=PASSWORD + "\n")  # fmt: skip
    return run_cli(env, "token", "create", "alice", "--description", "cluster").strip()


def _started(futures) -> list:
    """What the futures made, of those that did not fail."""
    return [future.result() for future in futures if future.exception() is None]


def _delete_bucket(s3: S3Server) -> None:
    client, stored = s3.client(), s3.object_keys()
    for key in stored:
        client.delete_object(Bucket=s3.bucket, Key=key)
    client.delete_bucket(Bucket=s3.bucket)


# --- RQ, read from Redis as `rq info` would --------------------------------------------------


def _rq_workers(redis_url: str) -> list:
    return Worker.all(connection=redis.Redis.from_url(redis_url))


def _running_job(redis_url: str, func_name: str):
    """(worker, job) for a worker now running a job of ``func_name``, or None."""
    connection = redis.Redis.from_url(redis_url)
    for worker in _rq_workers(redis_url):
        job_id = worker.get_current_job_id()
        if job_id is None:
            continue
        job = Job.fetch(job_id, connection=connection)
        if job.func_name == func_name:
            return worker, job
    return None


# --- Clients ---------------------------------------------------------------------------------


def _run(*argv, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result


def _csrf_post(session: requests.Session, url: str, data: dict) -> requests.Response:
    """The form at ``url``, filled in and posted as a browser would (with its CSRF token)."""
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:  # refused before the form (a rate limit): the refusal is the answer
        return page
    return session.post(
        url, {**data, "csrfmiddlewaretoken": token[1]}, timeout=30, allow_redirects=False
    )


@contextlib.contextmanager
def _tuf_repository_locked(database_url: str) -> Iterator[None]:
    """Hold the row every TUF publish locks first: publishing waits, as behind a slow one."""
    with psycopg.connect(database_url) as connection:
        connection.execute("SELECT id FROM tuf_tufrepository FOR UPDATE").fetchall()
        yield
        connection.rollback()


def _verified_through(node: LiveIndex, trusted_root: bytes, workdir: Path, path: str):
    """ngclient's Updater, trusting only the root that init wrote, for ``path`` on ``node``:
    (updater, target info), or None while the target is not published yet."""
    updater = node.tuf_updater(workdir, trusted_root)
    updater.refresh()
    info = updater.get_targetinfo(path)
    return (updater, info) if info is not None else None


# --- The scenario ----------------------------------------------------------------------------


def test_two_web_nodes_and_two_rq_workers_serve_as_one_index(cluster, tmp_path):
    node1, node2 = cluster.nodes
    sdist, wheel = cluster.dists

    # Publishing waits behind a held lock, so a worker is caught in the middle of a real task.
    with _tuf_repository_locked(cluster.database_url):
        node1.twine_upload(cluster.token, sdist, wheel)
        busy, job = wait_for(
            "a worker running the TUF publish",
            lambda: _running_job(cluster.redis_url, PUBLISH_TASK),
            timeout=30,
        )
        (crashed,) = [w for w in cluster.workers if busy.pid in process_tree(w.process.pid)]
        kill_tree(crashed.process.pid)
        crashed.process.wait(timeout=10)
    (survivor,) = [w for w in cluster.workers if w is not crashed]

    # pip installs from node 2, which answers each file with a redirect to presigned S3 URL.
    page = requests.get(
        f"{node2.simple_url}{PROJECT}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        timeout=30,
    ).json()
    assert sorted(f["filename"] for f in page["files"]) == sorted([sdist.name, wheel.name])
    listed = next(f for f in page["files"] if f["filename"] == wheel.name)
    wheel_url = urllib.parse.urljoin(f"{node2.simple_url}{PROJECT}/", listed["url"])
    redirect = requests.get(wheel_url, allow_redirects=False, timeout=30)
    assert redirect.status_code == 302, redirect.text[:500]
    assert redirect.headers["Location"].startswith(f"{cluster.s3.endpoint_url}/"), redirect.headers
    assert "X-Amz-Signature=" in redirect.headers["Location"]
    target = tmp_path / "site"
    env_pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--isolated")
    _run(*env_pip, "install", "--no-cache-dir", "--no-deps", "--only-binary", ":all:",
         "--target", target, "--index-url", node2.simple_url, PROJECT)  # fmt: skip
    assert (target / PROJECT.replace("-", "_") / "__init__.py").is_file()

    # A login on node 1 is a login on node 2.
    with contextlib.closing(requests.Session()) as browser:
        login = _csrf_post(
            browser, f"{node1.url}/account/login/", {"login": "alice", "password": PASSWORD}
        )
        assert login.status_code == 302, login.text[:2000]
        account = browser.get(f"{node2.url}/manage/projects/", allow_redirects=False, timeout=30)
        assert account.status_code == 200, (account.status_code, account.headers)
        assert PROJECT in account.text

    # Failed logins count across nodes: the limit is reached whichever node is asked.
    with contextlib.closing(requests.Session()) as attacker:
        statuses = [
            _csrf_post(
                attacker,
                f"{cluster.nodes[n % 2].url}/account/login/",
                {"login": "alice", "password": f"wrong-{n}"},
            ).status_code
            for n in range(2 * LOGIN_LIMIT)
        ]
    assert statuses == [200] * LOGIN_LIMIT + [429] * LOGIN_LIMIT

    # The crashed worker's task runs again, on the other worker.
    def finished() -> bool:
        job.refresh()
        return job.get_status() == JobStatus.FINISHED

    wait_for(f"the abandoned {PUBLISH_TASK} done", finished, timeout=60, interval=0.5)
    assert job.latest_result().worker_name == cluster.rq_worker_names[survivor.process.pid]
    assert survivor.process.poll() is None

    # tuf.ngclient, trusting only init's root, verifies the page and the wheel through node 2.
    attempts = iter(range(1000))
    updater, page_info = wait_for(
        "the upload verifiable through node 2",
        lambda: _verified_through(
            node2,
            cluster.trusted_root,
            tmp_path / f"tuf-{next(attempts)}",
            f"simple/{PROJECT}/vnd.pypi.simple.v1.json",
        ),
    )
    signed_page = json.loads(Path(updater.download_target(page_info)).read_bytes())
    assert signed_page["files"] == page["files"]
    wheel_path = wheel_url.removeprefix(f"{node2.url}/")
    wheel_info = updater.get_targetinfo(wheel_path)
    assert wheel_info is not None, wheel_path
    assert Path(updater.download_target(wheel_info)).read_bytes() == wheel.read_bytes()
