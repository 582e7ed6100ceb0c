"""TUF signing costs at PEP 458's 16,384 bins (issue 7's speed goals).

    python benchmarks/tuf_bench.py [--uploads 200] [--targets 100000] [--skip-live]
        [--skip-publish] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

1. ``cheeseshop tuf init`` at 16,384 bins, as the command an operator runs (wall time of the
   process, default keys: 3 root, 2 targets, 2 bins), on a fresh data directory (SQLite, or
   a throwaway PostgreSQL database with ``--database-url``);
2. ``initialisation.init`` in this process, then the publish cost per batch (one changed project:
   three targets in three bins) as the repository grows to ``--targets`` synthetic TufTarget
   rows: it must not grow with targets outside the touched bins; then one refresh that
   re-signs every bin (all bins expire together, having been signed together);
3. with a real ``cheeseshop serve`` (web server and task worker) on the data directory of 1:
   the time from twine's "200 OK" to "verifiable through tuf.ngclient", p50/p99 over
   ``--uploads`` uploads of a new project's wheel each.

How 3 measures: twine runs with ``--verbose`` and the clock starts when it prints the server's
"200 OK". ``timestamp.json`` is then polled over HTTP; each time it changes, a new
``tuf.ngclient.Updater`` with an empty metadata directory, bootstrapped from the trust anchor
that ``init`` wrote (``<keys>/1.root.json``), refreshes and downloads the project's simple page
through TUF. The clock stops when one such check succeeds, so the figure includes the whole
verification a new client does (snapshot download and signature check included). The
breakdown printed beside it: "published" (200 → new timestamp seen) and "client" (the
successful check alone).
"""

import argparse
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
BIN = Path(sys.executable).parent
BIT_LENGTH = 14
SUMMARY: list[str] = []
# --database-url: the live index's and this process's PostgreSQL databases (else SQLite).
DATABASES: dict[str, str] = {}


def _database_label() -> str:
    return "PostgreSQL" if DATABASES else "SQLite"


@contextlib.contextmanager
def _postgres_databases(base: str):
    """Two throwaway databases on the server of ``base``, dropped afterwards."""
    import psycopg

    names = {role: f"tuf_bench_{role}_{uuid.uuid4().hex[:8]}" for role in ("live", "local")}
    with psycopg.connect(base, autocommit=True) as connection:
        for name in names.values():
            connection.execute(f'CREATE DATABASE "{name}"')
    DATABASES.update({role: f"{base.rsplit('/', 1)[0]}/{name}" for role, name in names.items()})
    try:
        yield
    finally:
        # FORCE: this process's own Django connection may still be open.
        with psycopg.connect(base, autocommit=True) as connection:
            for name in names.values():
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(line: str) -> None:
    SUMMARY.append(line)
    print(line, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 200 values is the second largest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction), at least 1
    return ordered[int(rank) - 1]


def _server_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    env.update(
        {
            "CHEESESHOP_TASKS_BACKEND": "database",
            "CHEESESHOP_UPLOAD_REQUIRES_2FA": "false",
            "CHEESESHOP_MANAGE_REQUIRES_2FA": "false",
            "CHEESESHOP_TUF_BIT_LENGTH": str(BIT_LENGTH),
            # One user creates every project: lift the new-project rate limits.
            "CHEESESHOP_PROJECT_CREATE_USER_LIMIT": "1000000/hour",
            "CHEESESHOP_PROJECT_CREATE_IP_LIMIT": "1000000/hour",
        }
    )
    if DATABASES:
        env["CHEESESHOP_DATABASE_URL"] = DATABASES["live"]
    return env


def bench_cli_init(data_dir: Path, keys_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run(
        [
            *(str(BIN / "cheeseshop"), "tuf", "init", "--keys-dir", str(keys_dir)),
            *("--bit-length", str(BIT_LENGTH)),
        ],
        env={**_server_env(), "CHEESESHOP_DATA_DIR": str(data_dir)},
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
    )
    report(
        f"cheeseshop tuf init at {2**BIT_LENGTH:,} bins (command wall time, "
        f"{_database_label()}): "
        f"{time.perf_counter() - started:.2f} s"
    )


def _setup_django(data_dir: Path) -> None:
    os.environ["CHEESESHOP_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    os.environ["CHEESESHOP_TASKS_BACKEND"] = "dummy"
    if DATABASES:
        os.environ["CHEESESHOP_DATABASE_URL"] = DATABASES["local"]
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.CHEESESHOP_TUF_BIT_LENGTH = BIT_LENGTH
    call_command("migrate", interactive=False, verbosity=0)
    logging.getLogger("cheeseshop.tuf").setLevel(logging.WARNING)  # one line per publish


def bench_init_and_publish(work: Path, target_steps: list[int]) -> None:
    _setup_django(work / "data")
    from django.db import transaction

    from cheeseshop.tuf import initialisation, repository, services
    from cheeseshop.tuf.models import TufRole, TufTarget

    init = initialisation.init(work / "keys", bit_length=BIT_LENGTH)
    report(
        f"initialisation.init at {2**BIT_LENGTH:,} bins (in process, {_database_label()}): "
        f"{init.seconds:.2f} s"
    )
    have = 0
    for goal in target_steps:
        rows = []
        for n in range(have, goal):
            path = f"packages/{n:02x}/synthetic/{n:08d}/p{n}-1.0-py3-none-any.whl"
            rows.append(
                TufTarget(
                    path=path,
                    bin_index=repository.bin_index_for(path, BIT_LENGTH),
                    project_pk=10_000_000 + n,
                    length=1000,
                    hashes={"blake2b-256": f"{n:064x}", "sha256": f"{n:064x}"},
                )
            )
        TufTarget.objects.bulk_create(rows, batch_size=5000)
        have = goal
        timings = []
        for sample in range(11):
            paths = [f"packages/x/bench/{goal}-{sample}-{k}.whl" for k in range(3)]
            indices = {repository.bin_index_for(p, BIT_LENGTH) for p in paths}
            with transaction.atomic():  # as an upload does it
                for p in paths:
                    TufTarget.objects.create(
                        path=p,
                        bin_index=repository.bin_index_for(p, BIT_LENGTH),
                        project_pk=1,
                        length=1,
                        hashes={"blake2b-256": "0" * 64, "sha256": "0" * 64},
                    )
                services.mark_bins_dirty(indices, BIT_LENGTH)
            started = time.perf_counter()
            published = repository.publish()
            timings.append(time.perf_counter() - started)
            if published is None or published.bins != len(indices):
                raise RuntimeError(f"expected {len(indices)} bins published, got {published}")
        report(
            f"publish one batch (3 targets, 3 bins) with {goal:>7,} targets: "
            f"median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms over {len(timings)}"
        )
    # Every bin was signed at init, so all expire together: one refresh re-signs them all.
    TufRole.objects.filter(name__startswith="bin-").update(expires=repository.utcnow())
    started = time.perf_counter()
    refreshed = repository.publish(refresh=True)
    report(
        f"refresh re-signing all {refreshed.bins:,} bins with {have:,} targets: "
        f"{time.perf_counter() - started:.2f} s"
    )


def _timestamp_version(url: str) -> int:
    import json

    try:
        with urllib.request.urlopen(f"{url}/tuf/timestamp.json", timeout=10) as response:
            return json.loads(response.read())["signed"]["version"]
    except OSError:
        return 0


def _verified(url: str, trust_anchor: Path, target: str, work: Path) -> bool:
    """A new user's check: empty metadata cache, root from the trust anchor on disk."""
    from tuf.ngclient import Updater

    with tempfile.TemporaryDirectory(dir=work) as client:
        (Path(client) / "metadata").mkdir()
        updater = Updater(
            str(Path(client) / "metadata"),
            f"{url}/tuf/",
            client,
            f"{url}/",
            bootstrap=trust_anchor.read_bytes(),
        )
        updater.refresh()
        info = updater.get_targetinfo(target)
        if info is None:
            return False
        updater.download_target(info)
        return True


def _upload_and_wait_for_200(index, token: str, wheel: Path) -> tuple[subprocess.Popen, float]:
    twine = subprocess.Popen(
        [
            *(str(BIN / "twine"), "upload", "--verbose", "--disable-progress-bar"),
            *("--non-interactive", "--repository-url", index.upload_url),
            *("-u", "__token__", "-p", token, str(wheel)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    seen = []
    for line in twine.stdout or ():
        seen.append(line)
        if line.strip() == "200 OK":
            return twine, time.perf_counter()
    twine.wait()
    raise RuntimeError("twine upload did not get 200 OK:\n" + "".join(seen))


def bench_live_uploads(work: Path, data_dir: Path, keys_dir: Path, uploads: int) -> None:
    from index_bench import build_wheel, project_names

    from tests.e2e.conftest import start_index

    trust_anchor = keys_dir / "1.root.json"
    wheels = work / "wheels"
    wheels.mkdir()
    names = project_names(uploads)
    index = start_index(data_dir, _server_env())
    totals, published, client = [], [], []
    try:
        token = index.create_user_with_token("bench")
        for name in names:
            wheel = build_wheel(wheels, name, "1.0")
            target = f"simple/{name}/vnd.pypi.simple.v1.json"
            before = _timestamp_version(index.url)
            twine, accepted = _upload_and_wait_for_200(index, token, wheel)
            while True:
                version = _timestamp_version(index.url)
                if version == before:
                    time.sleep(0.01)  # shorter steals the cores the publisher needs
                    continue
                seen = time.perf_counter()
                if _verified(index.url, trust_anchor, target, work):
                    done = time.perf_counter()
                    break
                before = version  # a publish without the upload (a refresh): wait for the next
            rest, _ = twine.communicate()
            if twine.returncode:
                raise RuntimeError(f"twine upload failed:\n{rest}")
            totals.append(done - accepted)
            published.append(seen - accepted)
            client.append(done - seen)
    finally:
        index.stop()
    waits, runs = _publish_task_times(data_dir)
    report(
        f"upload 200 → verifiable via ngclient over {len(totals)} uploads at "
        f"{2**BIT_LENGTH:,} bins: p50 {statistics.median(totals):.3f} s, "
        f"p99 {percentile(totals, 0.99):.3f} s, max {max(totals):.3f} s "
        f"(published: p50 {statistics.median(published):.3f} s, "
        f"p99 {percentile(published, 0.99):.3f} s; "
        f"client check: p50 {statistics.median(client):.3f} s, "
        f"p99 {percentile(client, 0.99):.3f} s)"
    )
    if runs:
        report(
            f"  worker, {len(runs)} publish tasks: queued p50 {statistics.median(waits):.3f} s, "
            f"p99 {percentile(waits, 0.99):.3f} s; ran p50 {statistics.median(runs):.3f} s, "
            f"p99 {percentile(runs, 0.99):.3f} s"
        )


def _publish_task_times(data_dir: Path) -> tuple[list[float], list[float]]:
    """From django-tasks' result rows: seconds each publish task waited, and ran."""
    import sqlite3
    from datetime import datetime

    query = (
        "SELECT enqueued_at, started_at, finished_at FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE '%publish_tuf' AND finished_at IS NOT NULL"
    )
    if DATABASES:
        import psycopg

        with psycopg.connect(DATABASES["live"]) as connection:
            rows = connection.execute(query.replace("%", "%%")).fetchall()
    else:
        with contextlib.closing(sqlite3.connect(data_dir / "cheeseshop.sqlite3")) as connection:
            rows = connection.execute(query).fetchall()
    waits, runs = [], []
    for row in rows:
        enqueued, started, finished = (
            value if isinstance(value, datetime) else datetime.fromisoformat(value)
            for value in row
        )
        waits.append((started - enqueued).total_seconds())
        runs.append((finished - started).total_seconds())
    return waits, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200, help="live uploads (200)")
    parser.add_argument(
        "--targets", type=int, default=100_000, help="largest repository size (100,000)"
    )
    parser.add_argument("--skip-live", action="store_true", help="skip the live upload part")
    parser.add_argument(
        "--skip-publish", action="store_true", help="skip the in-process init and publish part"
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a PostgreSQL server (postgresql://user@host:port/db) to create throwaway "
        "databases on, instead of SQLite",
    )
    args = parser.parse_args()
    steps = [s for s in (0, 1_000, 10_000, 100_000) if s < args.targets] + [args.targets]
    with contextlib.ExitStack() as stack:
        if args.database_url:
            stack.enter_context(_postgres_databases(args.database_url))
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="tuf-bench-"))
        work = Path(tmp)
        live_data, live_keys = work / "live-data", work / "live-keys"
        bench_cli_init(live_data, live_keys)
        if not args.skip_publish:
            bench_init_and_publish(work, steps)
        if not args.skip_live:
            bench_live_uploads(work, live_data, live_keys, args.uploads)
    print("\nSummary:")
    for line in SUMMARY:
        print(f"  {line}")


if __name__ == "__main__":
    main()
