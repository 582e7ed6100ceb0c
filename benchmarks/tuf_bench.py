"""TUF signing costs at PEP 458's 16,384 bins.

    python benchmarks/tuf_bench.py [--uploads N] [--targets 100000] [--skip-live]

1. ``init`` time at 16,384 bins (fresh SQLite data directory);
2. publish cost per batch (one changed project: three targets) as the repository grows to
   ``--targets`` synthetic TufTarget rows — it should not grow with targets outside the
   touched bins;
3. with a real ``cheeseshop serve``: time from twine's "200" to "verifiable through ngclient"
   (p50/p99 over ``--uploads`` uploads).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def _setup(data_dir: Path) -> None:
    os.environ["CHEESESHOP_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cheeseshop.settings")
    os.environ["CHEESESHOP_TASKS_BACKEND"] = "dummy"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.CHEESESHOP_TUF_BIT_LENGTH = 14
    call_command("migrate", interactive=False, verbosity=0)


def bench_init_and_publish(work: Path, target_steps: list[int]) -> None:
    _setup(work / "data")
    from cheeseshop.tuf import operations, repository, services
    from cheeseshop.tuf.models import TufTarget

    report = operations.init(work / "keys", bit_length=14, root_keys=3, root_threshold=2)
    print(f"init at 16,384 bins: {report.seconds:.2f} s")
    have = 0
    for goal in target_steps:
        rows = []
        for n in range(have, goal):
            path = f"packages/{n:02x}/synthetic/{n:08d}/p{n}-1.0-py3-none-any.whl"
            rows.append(
                TufTarget(
                    path=path,
                    bin_index=repository.bin_index_for(path, 14),
                    project_pk=10_000_000 + n,
                    length=1000,
                    hashes={"blake2b-256": f"{n:064x}", "sha256": f"{n:064x}"},
                )
            )
        TufTarget.objects.bulk_create(rows, batch_size=5000)
        have = goal
        timings = []
        for sample in range(5):
            paths = [f"packages/x/bench/{goal}-{sample}-{k}.whl" for k in range(3)]
            indices = {repository.bin_index_for(p, 14) for p in paths}
            for p in paths:
                TufTarget.objects.create(
                    path=p,
                    bin_index=repository.bin_index_for(p, 14),
                    project_pk=1,
                    length=1,
                    hashes={"blake2b-256": "0" * 64, "sha256": "0" * 64},
                )
            services.mark_bins_dirty(indices, 14)
            started = time.perf_counter()
            repository.publish()
            timings.append(time.perf_counter() - started)
        print(
            f"publish one batch (3 targets) with {goal:>7,} targets: "
            f"median {statistics.median(timings) * 1000:.0f} ms"
        )


def bench_live_uploads(work: Path, uploads: int) -> None:
    from tuf.ngclient import Updater

    from tests.e2e.conftest import BIN, start_index
    from tests.e2e.projects import build, make_project

    data_dir, keys_dir = work / "live-data", work / "live-keys"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHEESESHOP_", "DJANGO_"))}
    server_env = {
        "CHEESESHOP_TASKS_BACKEND": "database",
        "CHEESESHOP_UPLOAD_REQUIRES_2FA": "false",
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.tuf.cli_shim",
            "tuf",
            "init",
            "--keys-dir",
            str(keys_dir),
            "--bit-length",
            "14",
            "--root-keys",
            "1",
            "--root-threshold",
            "1",
        ],
        env={**env, **server_env, "CHEESESHOP_DATA_DIR": str(data_dir)},
        check=True,
        cwd=REPO_ROOT,
    )
    root = (keys_dir / "1.root.json").read_bytes()
    index = start_index(data_dir, server_env)
    latencies = []
    try:
        token = index.create_user_with_token("bench")
        for n in range(uploads):
            dists = build(make_project(work / "src", f"bench-{n}", "1.0"), work / f"dist-{n}")
            wheel = next(p for p in dists if p.name.endswith(".whl"))
            subprocess.run(
                [
                    str(BIN / "twine"),
                    "upload",
                    "--disable-progress-bar",
                    "--non-interactive",
                    "--repository-url",
                    index.upload_url,
                    "-u",
                    "__token__",
                    "-p",
                    token,
                    str(wheel),
                ],
                check=True,
                capture_output=True,
            )
            accepted = time.perf_counter()
            client = work / f"client-{n}"
            while True:
                (client / "m").mkdir(parents=True, exist_ok=True)
                updater = Updater(
                    str(client / "m"),
                    f"{index.url}/tuf/",
                    str(client),
                    f"{index.url}/",
                    bootstrap=root,
                )
                updater.refresh()
                info = updater.get_targetinfo(f"simple/bench-{n}/vnd.pypi.simple.v1.json")
                if info is not None:
                    updater.download_target(info)
                    break
                time.sleep(0.02)
            latencies.append(time.perf_counter() - accepted)
    finally:
        index.stop()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"upload 200 → verifiable via ngclient over {uploads} uploads at 16,384 bins: "
        f"p50 {statistics.median(latencies):.2f} s, p99 {p99:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--skip-live", action="store_true")
    args = parser.parse_args()
    steps = [s for s in (0, 1_000, 10_000, 100_000) if s < args.targets] + [args.targets]
    with tempfile.TemporaryDirectory(prefix="tuf-bench-") as work:
        bench_init_and_publish(Path(work), steps)
        if not args.skip_live:
            bench_live_uploads(Path(work), args.uploads)


if __name__ == "__main__":
    main()
