"""The start refuses when stored two-factor secrets cannot be opened: the secret key changed
without the old one kept as a fallback, and every user with an authenticator app or recovery
codes would be locked out; and when this node's secret key is not the one the other nodes of its
database use. Run by `cheeseshop migrate`, hence by every `cheeseshop serve`, and `check`."""

from django.core import checks
from django.db import connections

from cheeseshop import sealing

UNOPENABLE = (
    "{count} stored two-factor secret(s) were sealed under a secret key that is neither "
    "SECRET_KEY nor one of SECRET_KEY_FALLBACKS"
)


def _unopenable_in(alias: str) -> int:
    from allauth.mfa.models import Authenticator

    from cheeseshop.accounts import sealed_secrets

    authenticators = Authenticator.objects.using(alias).exclude(type="webauthn")
    return sum(
        not sealed_secrets.opens(authenticator.type, authenticator.data)
        for authenticator in authenticators.iterator()
    )


@checks.register(checks.Tags.database)
def two_factor_secrets_open(app_configs=None, databases=None, **kwargs) -> list[checks.Error]:
    from allauth.mfa.models import Authenticator

    return sealing.unopenable_errors(
        databases,
        table=Authenticator._meta.db_table,
        count=_unopenable_in,
        message=UNOPENABLE,
        check_id="accounts.E001",
    )


@checks.register(checks.Tags.database)
def secret_key_is_the_clusters(app_configs=None, databases=None, **kwargs) -> list[checks.Error]:
    """This node's secret key is the one the other nodes of its database recorded (or one its
    fallbacks accept): `cheeseshop migrate`, `serve` and `check` refuse otherwise."""
    from cheeseshop.accounts import secret_key
    from cheeseshop.accounts.models import SecretKeyFingerprint

    errors = []
    for alias in databases or ():
        table = SecretKeyFingerprint._meta.db_table
        if table not in connections[alias].introspection.table_names():
            continue
        if not secret_key.accepts(secret_key.recorded_fingerprint(alias)):
            errors.append(checks.Error(secret_key.MISMATCH, id="accounts.E002"))
    return errors
