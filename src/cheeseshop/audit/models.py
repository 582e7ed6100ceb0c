from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cheeseshop.audit.tags import EventTag


class Event(models.Model):
    """One security-relevant thing that happened, never changed once recorded.

    Subjects are plain ids, not foreign keys with constraints: an event must outlive the user,
    project or file it is about, and deleting those must never rewrite history.

    Events form a hash chain (``cheeseshop.audit.chain``): ``sequence`` numbers them without
    gaps and ``chain_hash`` covers this event's content and the previous event's hash, so
    changing or removing a row shows. Only the retention policy removes events (the oldest
    ones, recording that it did); on PostgreSQL a trigger refuses every other UPDATE and DELETE.
    """

    # A closed set (EventTag), checked by the recorder; not model choices, so that adding a
    # tag needs no migration.
    tag = models.CharField(max_length=64, db_index=True, verbose_name=_("tag"))
    # Set by the recorder while it holds the chain's lock, so times follow the sequence.
    time = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("time"))
    sequence = models.BigIntegerField(
        unique=True,
        help_text=_("Position in the hash chain: 1, 2, 3... without gaps."),
        verbose_name=_("sequence"),
    )
    chain_hash = models.CharField(
        max_length=64,
        help_text=_("SHA-256 of the previous event's chain hash and this event's content."),
        verbose_name=_("chain hash"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text=_("The account the event is about."),
        verbose_name=_("user"),
    )
    project = models.ForeignKey(
        "packaging.Project",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("project"),
    )
    file = models.ForeignKey(
        "packaging.File",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("file"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text=_("Who acted."),
        verbose_name=_("actor"),
    )
    credential = models.JSONField(
        default=dict,
        help_text=_("How the actor authenticated: method, token id, description."),
        verbose_name=_("credential"),
    )
    ip_hash = models.CharField(max_length=64, blank=True, verbose_name=_("IP hash"))
    ip_prefix = models.CharField(
        max_length=50,
        blank=True,
        help_text=_(
            "The network the IP address belongs to (/24 for IPv4, /48 for IPv6), kept only "
            "when CHEESESHOP_AUDIT_STORE_IP_PREFIX is on."
        ),
        verbose_name=_("IP prefix"),
    )
    user_agent = models.CharField(max_length=512, blank=True, verbose_name=_("user agent"))
    user_agent_info = models.JSONField(
        default=dict,
        help_text=_("What the User-Agent says: installer and Python, or browser and system."),
        verbose_name=_("user agent info"),
    )
    additional = models.JSONField(default=dict, verbose_name=_("additional"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "id"], name="audit_event_user_idx"),
            models.Index(fields=["project", "id"], name="audit_event_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} @ {self.time:%Y-%m-%d %H:%M:%S}"

    @property
    def tag_label(self) -> str:
        try:
            return EventTag(self.tag).label
        except ValueError:
            return self.tag
