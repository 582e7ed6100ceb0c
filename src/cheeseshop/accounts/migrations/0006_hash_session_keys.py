"""Store the sessions kept before under a keyed hash of their key (cheeseshop.accounts.sessions),
so those logged in stay logged in and the table no longer holds a key anyone can present."""

from django.db import migrations

from cheeseshop.accounts.sessions import DIGEST_SIZE, stored_session_key


def _is_hashed(session_key: str) -> bool:
    # Django's keys are 32 characters; the stored digests 40 (hex of DIGEST_SIZE bytes).
    return len(session_key) == 2 * DIGEST_SIZE


def hash_session_keys(apps, schema_editor) -> None:
    Session = apps.get_model("sessions", "Session")
    for session_key in Session.objects.values_list("session_key", flat=True).iterator():
        if not _is_hashed(session_key):
            Session.objects.filter(session_key=session_key).update(
                session_key=stored_session_key(session_key)
            )


def drop_hashed_sessions(apps, schema_editor) -> None:
    """Undoing: a hash cannot be turned back into its key; those sessions end."""
    Session = apps.get_model("sessions", "Session")
    hashed = [key for key in Session.objects.values_list("session_key", flat=True) if _is_hashed(key)]
    Session.objects.filter(session_key__in=hashed).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_seal_two_factor_secrets"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(hash_session_keys, drop_hashed_sessions)]
