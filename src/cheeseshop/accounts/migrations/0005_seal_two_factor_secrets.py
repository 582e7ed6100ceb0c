"""Seal the two-factor secrets stored before they were sealed at rest (TOTP secrets,
recovery-code seeds): a copy of the database must not give them."""

from django.db import migrations

from cheeseshop.accounts import sealed_secrets


def _change_every_secret(apps, change) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.exclude(type="webauthn").iterator():
        data = sealed_secrets.with_secrets_changed(authenticator.type, authenticator.data, change)
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


def seal_secrets(apps, schema_editor) -> None:
    _change_every_secret(apps, sealed_secrets.sealed_if_plain)


def unseal_secrets(apps, schema_editor) -> None:
    _change_every_secret(apps, sealed_secrets.plain_if_sealed)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_rate_limits_and_trusted_uploaders"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal_secrets, unseal_secrets)]
