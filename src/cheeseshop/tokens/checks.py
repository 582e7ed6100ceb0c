"""The start refuses when stored token root keys cannot be opened: the secret key changed
without the old one kept as a fallback, and every token issued before would be refused. Run by
`migrate`, hence by every `cheeseshop serve` and `worker`."""

from django.core import checks

from cheeseshop import sealing

UNOPENABLE = (
    "{count} API token root key(s) were sealed under a secret key that is neither SECRET_KEY "
    "nor one of SECRET_KEY_FALLBACKS"
)


def _unopenable_in(alias: str) -> int:
    from cheeseshop.tokens.models import APIToken

    keys = APIToken.objects.using(alias).values_list("key", flat=True)
    return sum(
        sealing.is_sealed(bytes(key)) and not sealing.opens(bytes(key)) for key in keys.iterator()
    )


@checks.register(checks.Tags.database)
def token_root_keys_open(app_configs=None, databases=None, **kwargs) -> list[checks.Error]:
    from cheeseshop.tokens.models import APIToken

    return sealing.unopenable_errors(
        databases,
        table=APIToken._meta.db_table,
        count=_unopenable_in,
        message=UNOPENABLE,
        check_id="tokens.E001",
    )
