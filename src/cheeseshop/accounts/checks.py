"""The start refuses when stored two-factor secrets cannot be opened: the secret key changed
without the old one kept as a fallback, and every user with an authenticator app or recovery
codes would be locked out. Run by `migrate`, hence by every `cheeseshop serve` and `worker`."""

from django.core import checks

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
