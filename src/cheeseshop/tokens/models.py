import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cheeseshop import sealing

ROOT_KEY_BYTES = 32


def _new_root_key() -> bytes:
    """A new macaroon root key, sealed: whoever holds a copy of the database and a root key
    could sign a token of their own."""
    return sealing.seal(os.urandom(ROOT_KEY_BYTES))


class APIToken(models.Model):
    """An API token's server side: its macaroon root key and the caveats the server applies.

    The id is the macaroon's identifier. Revoking keeps the row, so that files and audit events
    can still say which token acted.
    """

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    description = models.CharField(_("description"), max_length=100)
    # The macaroon root key, sealed (cheeseshop.sealing): read it as ``root_key``.
    key = models.BinaryField(default=_new_root_key, editable=False, verbose_name=_("key"))
    # Caveats the server issued, in PyPI's JSON format, re-applied at every verification.
    caveats = models.JSONField(default=list, verbose_name=_("caveats"))
    created = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    last_used = models.DateTimeField(null=True, blank=True, verbose_name=_("last used"))
    revoked = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked"))
    # The token that asked for this one through the API, if any: revoking a token revokes
    # every token minted with it, so a leaked token's offspring go with it.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        editable=False,
        verbose_name=_("minted with"),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.description} ({self.id})"

    @property
    def root_key(self) -> bytes:
        """The macaroon root key; ``sealing.Unsealable`` when no configured secret key opens it."""
        return sealing.unseal(bytes(self.key))
