"""The index's Prometheus metrics.

Requests and uploads are counted where they happen, in every web server worker process: under
``cheeseshop serve`` (PROMETHEUS_MULTIPROC_DIR set to a private directory) each process writes
its counts to files there and a scrape adds them up (prometheus-client's multiprocess mode);
under another WSGI server without that variable, each process counts for itself.

What describes the state of the whole index (the task queue, TUF's last publish, the version)
is read from the database when scraped.

Labels stay few whatever clients send: a route is the name of a URL pattern (or "unrouted"),
never a path; a status is one of the few the index answers.
"""

import logging
import os

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from cheeseshop.operations.version import installed_version

logger = logging.getLogger(__name__)

# The metrics counted in this process, apart from any global registry a library may fill.
_counted = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "cheeseshop_http_requests",
    "HTTP requests answered, by route (URL pattern name) and status.",
    ["route", "status"],
    registry=_counted,
)
REQUEST_SECONDS = Histogram(
    "cheeseshop_http_request_duration_seconds",
    "Time to answer a request (until the answer's body is handed to the server), by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=_counted,
)
UPLOADS = Counter(
    "cheeseshop_uploads",
    'Uploads answered: "accepted", or the kind of rule that refused them.',
    ["outcome"],
    registry=_counted,
)


def count_upload(sender, outcome: str, **kwargs) -> None:
    """Receives cheeseshop.upload's ``upload_answered``."""
    UPLOADS.labels(outcome).inc()


class IndexStateCollector:
    """What the database says of the whole index, read at each scrape."""

    def collect(self):
        info = InfoMetricFamily("cheeseshop_build", "The cheeseshop version serving.")
        info.add_metric([], {"version": installed_version()})
        yield info
        reachable = GaugeMetricFamily(
            "cheeseshop_database_reachable", "1 when the scrape could read the database."
        )
        try:
            state = list(self._database_state())
        except DatabaseError as exc:
            logger.warning("metrics: the database could not be read: %s", exc)
            reachable.add_metric([], 0)
            yield reachable
            return
        reachable.add_metric([], 1)
        yield reachable
        yield from state

    def _database_state(self):
        yield from self._queue_state()
        from cheeseshop.tuf.services import last_published

        published = last_published()
        if published is not None:
            age = GaugeMetricFamily(
                "cheeseshop_tuf_last_publish_age_seconds",
                "Seconds since TUF metadata was last published.",
            )
            age.add_metric([], (timezone.now() - published).total_seconds())
            yield age

    def _queue_state(self):
        """The task queue's depth and failures, whichever backend holds them (RQ's Redis
        away: none, as the queue probe says; the database away: the caller says so)."""
        from cheeseshop.taskqueue import probes

        if settings.TASKS_BACKEND not in {"database", "rq"}:
            return
        unreachable: tuple = ()
        if settings.TASKS_BACKEND == "rq":
            from redis.exceptions import RedisError

            unreachable = (RedisError,)
        try:
            depth, failures = probes.queue_depth(), probes.failed_task_count()
        except unreachable as exc:
            logger.warning("metrics: the task queue could not be read: %s", exc)
            return
        queued = GaugeMetricFamily(
            "cheeseshop_tasks_queued", "Background tasks waiting for a worker."
        )
        queued.add_metric([], depth)
        yield queued
        failed = GaugeMetricFamily(
            "cheeseshop_tasks_failed", "Background tasks left failed after their last attempt."
        )
        failed.add_metric([], failures)
        yield failed


def multiprocess_directory() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """Every metric in Prometheus' text format: every process's counts, and the index's state."""
    registry = CollectorRegistry()
    if multiprocess_directory():
        MultiProcessCollector(registry)
    else:
        registry.register(_counted)
    registry.register(IndexStateCollector())
    return generate_latest(registry)
