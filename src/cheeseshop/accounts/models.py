from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from cheeseshop.accounts.validators import UsernameValidator


def language_choices() -> list[tuple[str, str]]:
    """The site's languages, each named in itself; a callable, so that adding one to
    settings.LANGUAGES needs no migration."""
    return list(settings.LANGUAGES)


class User(AbstractUser):
    """An account. Email addresses (and whether they are verified) live in allauth's
    ``EmailAddress``; ``email`` mirrors the primary one, as allauth keeps it."""

    username_validator = UsernameValidator()
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_(
            "Required. 150 characters or fewer: ASCII letters and digits, with '.', '_' or '-' "
            "between them."
        ),
        validators=[username_validator],
        error_messages={"unique": _("A user with that username already exists.")},
    )

    is_frozen = models.BooleanField(
        _("frozen"),
        default=False,
        help_text=_("A frozen user cannot log in and their API tokens stop working."),
    )
    is_trusted_uploader = models.BooleanField(
        _("trusted uploader"),
        default=False,
        help_text=_(
            "Not held to the hourly limits on new projects, which stop spam from accounts that "
            "signed up on their own: for the index's own CI and its teams. Accounts created "
            "with the cheeseshop command are trusted uploaders."
        ),
    )
    notify_non_critical = models.BooleanField(
        _("email non-critical security notices"),
        default=True,
        help_text=_(
            "Email me when a collaborator's role changes or an API token is added for a project "
            "I own. Notices of deletions and of new collaborators are always sent."
        ),
    )

    # Blank: never chosen (accounts made before languages were stored, or by the command line).
    language = models.CharField(
        _("language"),
        max_length=15,
        blank=True,
        choices=language_choices,
        help_text=_("The language of the pages this user sees and of every email sent to them."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # "Alice" and "alice" are one name to a reader: one account may have it.
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_unique_ignoring_case",
                violation_error_message=_("A user with that username already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def has_verified_primary_email(self) -> bool:
        """What uploads, token creation, the management pages and invitations require."""
        from allauth.account.models import EmailAddress

        # user_id, not user: asked on every upload, and the join-free filter compiles faster.
        return EmailAddress.objects.filter(user_id=self.pk, primary=True, verified=True).exists()


class RateLimitHit(models.Model):
    """One attempt counted by a moving-window rate limit (``cheeseshop.accounts.ratelimits``).

    Kept in the database, so every server process and machine counts the same attempts.
    """

    # A hash of the `limits` library's key (limit, subject, rule): bounded in length, and the
    # addresses and login names it holds are not stored readable.
    key = models.CharField(_("key"), max_length=64)
    at = models.FloatField(_("time"))  # Unix time of the attempt
    expires_at = models.FloatField(_("expires"), db_index=True)  # when it leaves the window

    class Meta:
        verbose_name = _("rate limit hit")
        verbose_name_plural = _("rate limit hits")
        indexes = [models.Index(fields=["key", "at"], name="accounts_ratelimit_key_at")]

    def __str__(self) -> str:
        return f"{self.key[:12]}@{self.at}"


class SecretKeyFingerprint(models.Model):
    """Which secret key the nodes sharing this database use, as a fingerprint that reveals
    nothing of it (``cheeseshop.accounts.secret_key``): one row, written by each node as it
    starts, so that a node started with another key is refused instead of logging everyone out
    whose request it serves."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY, editable=False)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    recorded = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        verbose_name = _("secret key fingerprint")
        verbose_name_plural = _("secret key fingerprints")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1), name="accounts_secret_key_fingerprint_one_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint[:12]}… ({self.recorded:%Y-%m-%d %H:%M})"
