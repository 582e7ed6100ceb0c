"""Sessions kept in the database under a keyed hash of their key (settings.SESSION_ENGINE points
here): the cookie holds the key, the table only its blake2b digest keyed by the secret key, so a
copy of the database gives no session anyone can present.

Django's ``db`` engine stores the key itself. This one hashes it wherever the table is read or
written; a session stored under an earlier secret key (one of SECRET_KEY_FALLBACKS) is found
too, and moved under the current key the first time it is read.
"""

from hashlib import blake2b

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends import db
from django.utils import timezone

# A digest of 20 bytes is 40 hex characters: the width of django_session.session_key.
DIGEST_SIZE = 20
PURPOSE = b"cheeseshop.sess"  # blake2b's personalisation: at most 16 bytes


def _hash_key(secret_key: str) -> bytes:
    return blake2b(secret_key.encode(), digest_size=32, person=PURPOSE).digest()


def stored_session_key(session_key: str, secret_key: str | None = None) -> str:
    """What the table holds for the session whose cookie holds ``session_key``."""
    key = _hash_key(secret_key if secret_key is not None else settings.SECRET_KEY)
    return blake2b(
        session_key.encode(), digest_size=DIGEST_SIZE, key=key, person=PURPOSE
    ).hexdigest()


def _stored_keys(session_key: str) -> list[str]:
    """Under the current secret key first, then under each fallback."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [stored_session_key(session_key, secret) for secret in secrets]


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if self.session_key is None:  # no cookie, or not a key Django would have made
            return None
        stored = _stored_keys(self.session_key)
        rows = {
            row.session_key: row
            for row in self.model.objects.filter(
                session_key__in=stored, expire_date__gt=timezone.now()
            )
        }
        found = next((rows[key] for key in stored if key in rows), None)
        if found is None:
            self._session_key = None
            return None
        if found.session_key != stored[0]:
            found = self._moved_to_current_key(found, stored[0])
        return found

    def _moved_to_current_key(self, row, current: str):
        """A session stored under a fallback secret key, stored under the current one now."""
        self.model.objects.filter(session_key=row.session_key).update(session_key=current)
        row.session_key = current
        return row

    async def _aget_session_from_db(self):
        return await sync_to_async(self._get_session_from_db)()

    def exists(self, session_key):
        return self.model.objects.filter(session_key__in=_stored_keys(session_key)).exists()

    async def aexists(self, session_key):
        return await sync_to_async(self.exists)(session_key)

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.session_key = stored_session_key(instance.session_key)
        return instance

    async def acreate_model_instance(self, data):
        instance = await super().acreate_model_instance(data)
        instance.session_key = stored_session_key(instance.session_key)
        return instance

    def delete(self, session_key=None):
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key__in=_stored_keys(session_key)).delete()

    async def adelete(self, session_key=None):
        await sync_to_async(self.delete)(session_key)
