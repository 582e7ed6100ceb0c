"""What the TUF repository holds, kept in the database: the metadata files are derived from it.

``TufTarget`` is the truth about targets (one row per signed path); ``TufRole`` records each
role's published version and expiry and whether a bin has unpublished changes; ``TufRepository``
is a singleton row whose lock serialises publishers.
"""

from django.db import models


class TufRepository(models.Model):
    """The repository's one row: created by ``cheeseshop tuf init``; absent means TUF is off."""

    bit_length = models.PositiveSmallIntegerField()
    # The online key's public half (securesystemslib SSlibKey dict, with "keyid").
    online_key = models.JSONField()
    initialised = models.DateTimeField(auto_now_add=True)
    # When the next periodic refresh task is due; lets duplicate refresh chains die out.
    refresh_scheduled_for = models.DateTimeField(null=True, blank=True)
    last_published = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"TUF repository ({2**self.bit_length} bins)"


class TufRole(models.Model):
    """A role's published state: root, targets, bins, snapshot, timestamp and every bin-n."""

    name = models.CharField(max_length=32, unique=True)
    version = models.PositiveIntegerField(default=0)
    expires = models.DateTimeField()
    # A bin whose targets changed since its last published version.
    dirty = models.BooleanField(default=False, db_index=True)

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class TufTarget(models.Model):
    """One signed target: a distribution file or a simple page, with its length and hashes."""

    path = models.CharField(max_length=1024, unique=True)
    bin_index = models.PositiveIntegerField(db_index=True)
    # The project the target belongs to (not a foreign key: rows outlive a deleted project
    # until the hook removes them and marks their bins dirty).
    project_pk = models.BigIntegerField(db_index=True)
    length = models.BigIntegerField()
    # {"blake2b-256": hex, "sha256": hex}. Read through ``ordered_hashes``: PostgreSQL's jsonb
    # does not keep key order, and the first hash names the hash-prefixed download URL.
    hashes = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.path
