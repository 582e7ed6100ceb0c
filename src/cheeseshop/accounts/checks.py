"""The start refuses when stored two-factor secrets cannot be opened: the secret key changed
without the old one kept as a fallback, and every user with an authenticator app or recovery
codes would be locked out. Run by `migrate`, hence by every `cheeseshop serve` and `worker`."""

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

    connection = connections[alias]
    if Authenticator._meta.db_table not in connection.introspection.table_names():
        return 0  # a new database: nothing stored yet
    authenticators = Authenticator.objects.using(alias).exclude(type="webauthn")
    return sum(
        not sealed_secrets.opens(authenticator.type, authenticator.data)
        for authenticator in authenticators.iterator()
    )


@checks.register(checks.Tags.database)
def two_factor_secrets_open(app_configs=None, databases=None, **kwargs) -> list[checks.Error]:
    errors = []
    for alias in databases or ():
        count = _unopenable_in(alias)
        if count:
            errors.append(
                checks.Error(
                    UNOPENABLE.format(count=count), hint=sealing.WAY_OUT, id="accounts.E001"
                )
            )
    return errors
