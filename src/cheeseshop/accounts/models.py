from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """An account. Email addresses (and whether they are verified) live in allauth's
    ``EmailAddress``; ``email`` mirrors the primary one, as allauth keeps it."""

    is_frozen = models.BooleanField(
        _("frozen"),
        default=False,
        help_text=_("A frozen user cannot log in and their API tokens stop working."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.username
