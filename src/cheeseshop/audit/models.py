from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventTag(models.TextChoices):
    """The closed set of things the audit trail records, as ``source:subject:action``."""

    PROJECT_CREATE = "project:create", _("Project created")
    PROJECT_ROLE_ADD = "project:role:add", _("Collaborator added")
    PROJECT_RELEASE_ADD = "project:release:add", _("Release added")
    FILE_ADD = "file:add", _("File added")
    ACCOUNT_CREATE = "account:create", _("Account created")
    ACCOUNT_API_TOKEN_ADDED = "account:api_token:added", _("API token added")
    ACCOUNT_API_TOKEN_REMOVED = "account:api_token:removed", _("API token removed")


class Event(models.Model):
    """One security-relevant thing that happened, kept forever and never changed.

    Subjects are plain ids, not foreign keys with constraints: an event must outlive the user,
    project or file it is about, and deleting those must never rewrite history.
    """

    tag = models.CharField(max_length=64, choices=EventTag.choices, db_index=True)
    time = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text=_("The account the event is about."),
    )
    project = models.ForeignKey(
        "packaging.Project",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    file = models.ForeignKey(
        "packaging.File",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text=_("Who acted."),
    )
    credential = models.JSONField(
        default=dict, help_text=_("How the actor authenticated: method, token id, description.")
    )
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    additional = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "id"], name="audit_event_user_idx"),
            models.Index(fields=["project", "id"], name="audit_event_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} @ {self.time:%Y-%m-%d %H:%M:%S}"
