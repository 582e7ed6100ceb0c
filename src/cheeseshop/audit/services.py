"""The audit recorder: the one way any part of cheeseshop records an event."""

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cheeseshop.audit.models import Event, EventTag


@dataclass(frozen=True)
class Credential:
    """How an actor proved who they are, as recorded with each event."""

    method: str  # "token", "session", "cli", ...
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, **self.details}


CLI = Credential("cli")


def hash_ip(ip: str) -> str:
    """A keyed hash of an IP address: equal addresses can be matched, none can be read back."""
    if not ip:
        return ""
    key = hashlib.sha256(b"cheeseshop.audit.ip:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def client_ip(request: HttpRequest) -> str:
    # Behind a proxy SecurityMiddleware's SECURE_PROXY_SSL_HEADER is set; trust the proxy's
    # X-Forwarded-For then, and only then.
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def record_event(
    tag: EventTag,
    *,
    request: HttpRequest | None = None,
    actor=None,
    credential: Credential | None = None,
    user=None,
    project=None,
    file=None,
    additional: dict[str, Any] | None = None,
) -> Event:
    """Record that something happened; call inside the transaction that made it happen."""
    ip = client_ip(request) if request is not None else ""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:512] if request is not None else ""
    return Event.objects.create(
        tag=EventTag(tag),  # a closed set: an unknown tag is a programming error
        actor=actor,
        credential=credential.as_json() if credential else {},
        user=user,
        project=project,
        file=file,
        ip_hash=hash_ip(ip),
        user_agent=user_agent,
        additional=additional or {},
    )
