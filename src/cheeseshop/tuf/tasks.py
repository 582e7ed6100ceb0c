"""Background publishing: after a change commits, and periodically before online roles expire.

django-tasks has no scheduler, so the refresh task re-enqueues itself with ``run_after`` (the
database backend supports deferred tasks). ``TufRepository.refresh_scheduled_for`` records the
one pending refresh so duplicate chains die out; every publish restarts a chain that was lost.
With a backend that cannot defer tasks, run ``cheeseshop tuf refresh`` from cron instead.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django_tasks import task

from cheeseshop.tuf import repository
from cheeseshop.tuf.models import TufRepository


def _summary(report) -> dict:
    if report is None:
        return {"initialised": False}
    return {
        "initialised": True,
        "bins": report.bins,
        "snapshot": report.snapshot_version,
        "timestamp": report.timestamp_version,
        "seconds": round(report.seconds, 4),
    }


@task()
def publish_tuf() -> dict:
    """Publish all pending bin changes as one snapshot and one timestamp. Fails (raises) when
    the online key cannot sign, after logging why (``repository.publish``)."""
    try:
        report = repository.publish()
    finally:
        schedule_refresh()
    return _summary(report)


@task()
def refresh_tuf() -> dict:
    """Re-sign online roles near expiry, then schedule the next refresh (also after a failure:
    a key fixed later is used by the next refresh, not only after the next upload)."""
    try:
        report = repository.publish(refresh=True)
    finally:
        # Only the refresh that was due clears the mark; a duplicate chain then finds the next
        # refresh already scheduled and ends.
        TufRepository.objects.filter(refresh_scheduled_for__lte=repository.utcnow()).update(
            refresh_scheduled_for=None
        )
        schedule_refresh()
    return _summary(report)


def schedule_refresh() -> bool:
    """Enqueue the next refresh unless one is already pending; False if none was enqueued."""
    if not refresh_tuf.get_backend().supports_defer:
        return False
    now = repository.utcnow()
    due = now + timedelta(seconds=settings.CHEESESHOP_TUF_REFRESH_INTERVAL)
    with transaction.atomic():
        repo = repository.lock_repository()
        if repo is None:
            return False
        if repo.refresh_scheduled_for is not None and repo.refresh_scheduled_for > now:
            return False
        repo.refresh_scheduled_for = due
        repo.save(update_fields=["refresh_scheduled_for"])
        transaction.on_commit(lambda: refresh_tuf.using(run_after=due).enqueue())
    return True
