"""What the TUF repository holds, kept in the database: the metadata files are derived from it.

``TufTarget`` is the truth about targets (one row per signed path); ``TufRole`` records each
role's published version and expiry and whether a bin has unpublished changes; ``TufRepository``
is a singleton row whose lock serialises publishers.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class TufRepository(models.Model):
    """The repository's one row: created by ``cheeseshop tuf init``; absent means TUF is off."""

    bit_length = models.PositiveSmallIntegerField(verbose_name=_("bit length"))
    # The online key's public half (securesystemslib SSlibKey dict, with "keyid").
    online_key = models.JSONField(verbose_name=_("online key"))
    initialised = models.DateTimeField(auto_now_add=True, verbose_name=_("initialised"))
    # When the next periodic refresh task is due; lets duplicate refresh chains die out.
    refresh_scheduled_for = models.DateTimeField(
        null=True, blank=True, verbose_name=_("refresh scheduled for")
    )
    last_published = models.DateTimeField(null=True, blank=True, verbose_name=_("last published"))

    class Meta:
        verbose_name = _("TUF repository")
        verbose_name_plural = _("TUF repositories")

    def __str__(self) -> str:
        bins = 2**self.bit_length
        # Translators: the admin's name for the TUF repository; bins are the hashed bins that
        # TUF splits the targets into (a number).
        return ngettext(
            "TUF repository (%(bins)d bin)", "TUF repository (%(bins)d bins)", bins
        ) % {"bins": bins}


class TufRole(models.Model):
    """A role's published state: root, targets, bins, snapshot, timestamp and every bin-n."""

    name = models.CharField(max_length=32, unique=True, verbose_name=_("name"))
    version = models.PositiveIntegerField(default=0, verbose_name=_("version"))
    expires = models.DateTimeField(verbose_name=_("expires"))
    # A bin whose targets changed since its last published version.
    dirty = models.BooleanField(default=False, db_index=True, verbose_name=_("dirty"))

    class Meta:
        verbose_name = _("TUF role")
        verbose_name_plural = _("TUF roles")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class TufTarget(models.Model):
    """One signed target: a distribution file or a simple page, with its length and hashes."""

    path = models.CharField(max_length=1024, unique=True, verbose_name=_("path"))
    bin_index = models.PositiveIntegerField(db_index=True, verbose_name=_("bin index"))
    # The project the target belongs to (not a foreign key: rows outlive a deleted project
    # until the hook removes them and marks their bins dirty).
    project_pk = models.BigIntegerField(db_index=True, verbose_name=_("project pk"))
    length = models.BigIntegerField(verbose_name=_("length"))
    # {"blake2b-256": hex, "sha256": hex}. Read through ``ordered_hashes``: PostgreSQL's jsonb
    # does not keep key order, and the first hash names the hash-prefixed download URL.
    hashes = models.JSONField(verbose_name=_("hashes"))
    updated = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        verbose_name = _("TUF target")
        verbose_name_plural = _("TUF targets")

    def __str__(self) -> str:
        return self.path


class MetadataDocument(models.Model):
    """One metadata file, as served at ``/tuf/<name>``; names under ``pending/`` are offline
    metadata waiting for signatures. Kept in the database so that every node serves the same
    bytes and a publish commits its files with its versions (``cheeseshop.tuf.store``)."""

    name = models.CharField(max_length=255, unique=True, verbose_name=_("name"))
    body = models.BinaryField(verbose_name=_("body"))
    created = models.DateTimeField(db_index=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("TUF metadata document")
        verbose_name_plural = _("TUF metadata documents")

    def __str__(self) -> str:
        return self.name
