"""Seal the root keys of tokens issued before root keys were sealed at rest: with a copy of the
database and a root key, anyone could sign a token of their own."""

from django.db import migrations

from cheeseshop import sealing


def _change_every_key(apps, change) -> None:
    APIToken = apps.get_model("tokens", "APIToken")
    for token in APIToken.objects.only("id", "key").iterator():
        key = bytes(token.key)
        changed = change(key)
        if changed != key:
            APIToken.objects.filter(pk=token.pk).update(key=changed)


def seal_keys(apps, schema_editor) -> None:
    _change_every_key(apps, lambda key: key if sealing.is_sealed(key) else sealing.seal(key))


def unseal_keys(apps, schema_editor) -> None:
    _change_every_key(apps, lambda key: sealing.unseal(key) if sealing.is_sealed(key) else key)


class Migration(migrations.Migration):
    dependencies = [("tokens", "0003_apitoken_parent")]

    operations = [migrations.RunPython(seal_keys, unseal_keys)]
