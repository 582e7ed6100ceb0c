"""Add many projects to a cheeseshop through the index's own upload code (for index_bench.py).

Run inside cheeseshop's environment, against its data directory (the server may be running):

    INDEX_BENCH_PROJECTS=10000 INDEX_BENCH_USER=bench \\
        cheeseshop manage shell -c "import runpy; runpy.run_path('benchmarks/index_projects.py')"

Uploading 10,000 projects with twine takes the better part of an hour; this takes about a
minute, and goes through the code an upload goes through once its HTTP request is read: the
archive is inspected and its metadata parsed and checked as the upload view does
(``inspect_distribution``, ``parse_metadata``, ``validate_wheel_filename``), then
``services.add_distribution`` creates the project (name checks included), its Owner role, release
and file, stores the file, records the audit events and publishes the change (the project's
simple page rendered and stored, whatever else the index does on a change: /simple/ marked for
rebuilding). ``/simple/`` then lists each project as it lists an uploaded one.

What differs from N uploads, and why:

- the post-upload tasks ``verify_stored_file`` and the malware checks' ``check_upload`` are not
  enqueued: at ~60 ms of the worker's CPU each, 20,000 of them would keep it busy for half an
  hour, and neither changes what /simple/ lists (every other task still is);
- the uploader, ``INDEX_BENCH_USER``, is a trusted uploader for the time of the run (made so,
  and back, with ``set_trusted_uploader``, audited as `cheeseshop user trust` is): the limit on
  new projects an hour counts the audit trail's events, a query that grows with every project;
- uploads commit ``INDEX_BENCH_BATCH`` (100) at a time, each in a savepoint of its own: one
  fsync per batch rather than per project.

Each project gets one tiny wheel (``bench_index_00001-1.0-py3-none-any.whl``), built in memory
with fixed timestamps, so the bytes are the same on every run. Prints one JSON line:
``{"created": N, "seconds": S, "skipped_tasks": T}``.

Environment: INDEX_BENCH_PROJECTS (how many), INDEX_BENCH_USER (uploader, must exist),
INDEX_BENCH_PREFIX (name prefix, default ``bench-index-``), INDEX_BENCH_BATCH.
"""

import contextlib
import hashlib
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from cheeseshop.accounts.services import set_trusted_uploader
from cheeseshop.audit.services import CLI
from cheeseshop.packaging import filenames, metadata, publishing, services
from cheeseshop.packaging.archives import inspect_distribution
from cheeseshop.packaging.models import PackageType
from cheeseshop.packaging.names import normalize_name

# runpy runs this file in `cheeseshop manage shell`, where its sibling is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from wheels import wheel_bytes  # (a sibling script, not a package)

VERSION = "1.0"
BATCH = int(os.environ.get("INDEX_BENCH_BATCH", "100"))


def distribution(name: str, scratch: Path) -> services.Distribution:
    """What the upload view hands to ``add_distribution``, made by the same checks."""
    filename, data = wheel_bytes(
        name,
        VERSION,
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {VERSION}\n"
        "Summary: One of many projects for the index benchmark's /simple/\n",
        generator="index_projects",
    )
    path = scratch / filename
    path.write_bytes(data)
    inspected = inspect_distribution(path, filename, PackageType.WHEEL)
    meta = metadata.parse_metadata(inspected.metadata)
    filenames.validate_wheel_filename(filename, normalize_name(meta.name), str(meta.version))
    return services.Distribution(
        filename=filename,
        packagetype=PackageType.WHEEL,
        python_version="py3",
        size=len(data),
        md5_digest=hashlib.md5(data).hexdigest(),  # noqa: S324 - the upload's md5 column
        sha256_digest=hashlib.sha256(data).hexdigest(),
        blake2_256_digest=hashlib.blake2b(data, digest_size=32).hexdigest(),
        local_path=str(path),
        project_name=meta.name,
        version=str(meta.version),
        release_fields=metadata.release_fields(meta, metadata.rendered_description(meta)),
        requires_python=str(meta.requires_python or ""),
        metadata_bytes=inspected.metadata,
    )


# The per-file tasks an upload enqueues that are left out (see the module's docstring), by
# name: an older cheeseshop (index_bench.py's --baseline-bin) may lack one.
SKIPPED_TASK_NAMES = (
    ("cheeseshop.packaging.tasks", "verify_stored_file"),
    ("cheeseshop.malware.tasks", "check_upload"),
)


def skipped_tasks() -> list:
    tasks = []
    for module, name in SKIPPED_TASK_NAMES:
        with contextlib.suppress(ImportError, AttributeError):
            tasks.append(getattr(importlib.import_module(module), name))
    return tasks


class TaskFilter:
    """``publishing.after_commit`` without the skipped tasks, counting what it skipped."""

    def __init__(self, after_commit):
        self.after_commit = after_commit
        self.skipped_tasks = skipped_tasks()
        self.skipped = 0

    def __call__(self, task, *args) -> None:
        if any(task is skipped for skipped in self.skipped_tasks):
            self.skipped += 1
            return
        self.after_commit(task, *args)


def add_projects(count: int, username: str, prefix: str) -> dict:
    user = get_user_model().objects.get(username=username)
    # Trusted for this run only (as `cheeseshop user trust` makes it): see the module's docstring.
    with transaction.atomic():
        made_trusted = set_trusted_uploader(user, True, credential=CLI)
    uploader = services.Uploader(user=user, credential=CLI, user_agent="index_bench")
    tasks = TaskFilter(publishing.after_commit)
    publishing.after_commit = tasks
    created = 0
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="index-projects-") as scratch:
            for first in range(1, count + 1, BATCH):
                # One commit per batch: each upload's own transaction becomes a savepoint.
                with transaction.atomic():
                    for number in range(first, min(first + BATCH, count + 1)):
                        dist = distribution(f"{prefix}{number:05d}", Path(scratch))
                        _file, new = services.add_distribution(dist, uploader)
                        created += new
                        os.unlink(dist.local_path)
    finally:
        publishing.after_commit = tasks.after_commit
        if made_trusted:
            with transaction.atomic():
                set_trusted_uploader(user, False, credential=CLI)
    return {
        "created": created,
        "seconds": time.monotonic() - started,
        "skipped_tasks": tasks.skipped,
    }


def main() -> None:
    result = add_projects(
        int(os.environ["INDEX_BENCH_PROJECTS"]),
        os.environ.get("INDEX_BENCH_USER", "bench"),
        os.environ.get("INDEX_BENCH_PREFIX", "bench-index-"),
    )
    print(json.dumps(result), flush=True)


main()
