"""A `limits` storage in the database: moving-window counters that every server process and
machine shares, with nothing to run beside the index.

Registered as ``database://`` by importing this module. Each attempt is a row
(``RateLimitHit``); counting and adding are done under a lock on the key, so concurrent
attempts at the limit cannot all pass.
"""

import hashlib
import time

from django.db import DatabaseError, transaction
from django.db.models import Count, Min
from limits.storage import MovingWindowSupport, Storage

from cheeseshop.accounts.models import RateLimitHit
from cheeseshop.locks import lock_for_transaction


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _hits_since(digest: str, since: float):
    return RateLimitHit.objects.filter(key=digest, at__gte=since)


class DatabaseStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return DatabaseError

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        digest = _digest(key)
        with transaction.atomic():
            lock_for_transaction(f"cheeseshop.ratelimit:{digest}")
            now = time.time()
            # Rows that left every window are of no use to any limit: forgotten as we go.
            RateLimitHit.objects.filter(expires_at__lt=now).delete()
            if _hits_since(digest, now - expiry).count() + amount > limit:
                return False
            RateLimitHit.objects.bulk_create(
                RateLimitHit(key=digest, at=now, expires_at=now + expiry) for _ in range(amount)
            )
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        window = _hits_since(_digest(key), now - expiry).aggregate(
            oldest=Min("at"), count=Count("pk")
        )
        if not window["count"]:
            return now, 0
        return window["oldest"], window["count"]

    def clear(self, key: str) -> None:
        RateLimitHit.objects.filter(key=_digest(key)).delete()

    def reset(self) -> int | None:
        deleted, _by_model = RateLimitHit.objects.all().delete()
        return deleted

    def check(self) -> bool:
        try:
            RateLimitHit.objects.exists()
        except DatabaseError:
            return False
        return True

    # Fixed windows: the moving window is the only strategy cheeseshop uses.
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("the database storage counts moving windows only")

    def get(self, key: str) -> int:
        raise NotImplementedError("the database storage counts moving windows only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("the database storage counts moving windows only")
