from django.db import models
from django.utils.translation import gettext_lazy as _


class FlagId(models.TextChoices):
    """The admin kill switches. Each takes effect on the next request, and shows a banner."""

    READ_ONLY = "read-only", _("Read-only mode: uploads and changes are temporarily disabled.")
    DISALLOW_NEW_UPLOAD = "disallow-new-upload", _("New uploads are temporarily disabled.")
    DISALLOW_NEW_PROJECT = (
        "disallow-new-project-registration",
        _("New project registration is temporarily disabled."),
    )
    DISALLOW_NEW_USER = (
        "disallow-new-user-registration",
        _("New user registration is temporarily disabled."),
    )


class AdminFlag(models.Model):
    id = models.CharField(primary_key=True, max_length=64, choices=FlagId.choices)
    enabled = models.BooleanField(_("enabled"), default=False)
    notify = models.BooleanField(
        _("show a banner"), default=True, help_text=_("Show a site-wide banner while enabled.")
    )
    message = models.CharField(
        _("banner message"),
        max_length=300,
        blank=True,
        help_text=_("Shown in the banner instead of the default text, if given."),
    )

    class Meta:
        verbose_name = _("admin flag")
        verbose_name_plural = _("admin flags")

    def __str__(self) -> str:
        return self.id

    @property
    def banner_text(self) -> str:
        return self.message or FlagId(self.id).label
