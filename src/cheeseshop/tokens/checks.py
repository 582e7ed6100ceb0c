"""The start refuses when stored token root keys cannot be opened: the secret key changed
without the old one kept as a fallback, and every token issued before would be refused. Run by
`migrate`, hence by every `cheeseshop serve` and `worker`."""

from django.core import checks
from django.db import connections

from cheeseshop import sealing

UNOPENABLE = (
    "{count} API token root key(s) were sealed under a secret key that is neither SECRET_KEY "
    "nor one of SECRET_KEY_FALLBACKS"
)


def _unopenable_in(alias: str) -> int:
    from cheeseshop.tokens.models import APIToken

    connection = connections[alias]
    if APIToken._meta.db_table not in connection.introspection.table_names():
        return 0  # a new database: nothing stored yet
    keys = APIToken.objects.using(alias).values_list("key", flat=True)
    return sum(
        sealing.is_sealed(bytes(key)) and not sealing.opens(bytes(key)) for key in keys.iterator()
    )


@checks.register(checks.Tags.database)
def token_root_keys_open(app_configs=None, databases=None, **kwargs) -> list[checks.Error]:
    errors = []
    for alias in databases or ():
        count = _unopenable_in(alias)
        if count:
            errors.append(
                checks.Error(
                    UNOPENABLE.format(count=count), hint=sealing.WAY_OUT, id="tokens.E001"
                )
            )
    return errors
