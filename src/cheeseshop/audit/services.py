"""The audit recorder: the one way any part of cheeseshop records an event."""

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cheeseshop.audit import chain
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.useragents import parse_user_agent


@dataclass(frozen=True)
class Credential:
    """How an actor proved who they are, as recorded with each event."""

    method: str  # "token", "session", "cli", ...
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, **self.details}


CLI = Credential("cli")  # ran the cheeseshop command on the server
ADMIN = Credential("admin")  # acted in the admin site, as staff
SESSION = Credential("session")  # acted from a logged-in web session


def hash_ip(ip: str) -> str:
    """A keyed hash of an IP address: equal addresses can be matched, none can be read back."""
    if not ip:
        return ""
    key = hashlib.sha256(b"cheeseshop.audit.ip:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


IPV4_PREFIX_LENGTH = 24
IPV6_PREFIX_LENGTH = 48


def ip_prefix(ip: str) -> str:
    """The network ``ip`` belongs to (/24 for IPv4, /48 for IPv6), or "" if it is no address.

    Kept only where the operator chose to (CHEESESHOP_AUDIT_STORE_IP_PREFIX): it tells which
    provider or site a request came from without naming the machine.
    """
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    length = IPV4_PREFIX_LENGTH if address.version == 4 else IPV6_PREFIX_LENGTH
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


def _stores_ip_prefix() -> bool:
    return settings.CHEESESHOP_AUDIT_STORE_IP_PREFIX


def _as_stored(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as the JSON field gives it back (tuples become lists...), so that the chain
    hash computed at insert matches the one recomputed from the stored row."""
    return json.loads(json.dumps(value))


def client_ip(request: HttpRequest) -> str:
    """The client's address, as far as it can be trusted: the one place that decides it, for
    rate limits, allauth, the audit trail's IP hashes and the logs.

    Each proxy appends the address it was reached from to X-Forwarded-For; whatever stands to
    the left of what the outermost proxy wrote was sent by the client itself.
    CHEESESHOP_TRUSTED_PROXIES says where that is: a count of proxies (the client's address is
    the entry that many from the right; a header with fewer entries did not pass through every
    proxy, so only the socket's address is known), or the proxies' networks (see
    ``_first_untrusted``).
    """
    return client_ip_of(request.META)


def client_ip_of(environ: Mapping[str, str]) -> str:
    """``client_ip`` of a request's WSGI environment (``request.META``)."""
    remote_addr = environ.get("REMOTE_ADDR", "")
    trusted = settings.CHEESESHOP_TRUSTED_PROXIES
    if not trusted:
        return remote_addr
    forwarded = _forwarded_addresses(environ.get("HTTP_X_FORWARDED_FOR", ""))
    if isinstance(trusted, int):
        if len(forwarded) < trusted:
            return remote_addr
        return _as_address(forwarded[-trusted]) or remote_addr
    return _first_untrusted(remote_addr, forwarded, trusted)


def _first_untrusted(remote_addr: str, forwarded: list[str], networks) -> str:
    """Walking from the socket's address leftwards through X-Forwarded-For, the first address
    outside the trusted networks: a request that did not come from a trusted proxy is its
    socket's; an entry that is no address ends the walk at the proxy that wrote it; a request
    from trusted addresses only is the leftmost one's."""
    client = remote_addr
    for entry in reversed(forwarded):
        if not _in_networks(client, networks):
            break
        address = _as_address(entry)
        if not address:
            break
        client = address
    return client


def _in_networks(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def _forwarded_addresses(header: str) -> list[str]:
    # Empty entries can only come from the client's part: each proxy appends a non-empty one.
    return [entry.strip() for entry in header.split(",") if entry.strip()]


def _as_address(entry: str) -> str:
    """The IP address ``entry`` names, without the port some proxies add ("192.0.2.1:4711",
    "[2001:db8::1]:4711"); "" when it names none (a proxy writing "unknown")."""
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        return str(ipaddress.ip_address(entry))
    except ValueError:
        return ""


def _unsaved_event(
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
    ip = client_ip(request) if request is not None else ""
    user_agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return Event(
        tag=EventTag(tag).value,  # a closed set: an unknown tag is a programming error
        actor=actor,
        credential=_as_stored(credential.as_json() if credential else {}),
        user=user,
        project=project,
        file=file,
        ip_hash=hash_ip(ip),
        ip_prefix=ip_prefix(ip) if ip and _stores_ip_prefix() else "",
        user_agent=user_agent[:512],
        user_agent_info=_as_stored(parse_user_agent(user_agent)),
        additional=_as_stored(additional or {}),
    )


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
    """Record that something happened; call inside the transaction that made it happen.

    The event becomes the next link of the hash chain; until the transaction ends, other
    transactions wait to record theirs (``cheeseshop.audit.chain``).
    """
    event = _unsaved_event(
        tag,
        request=request,
        actor=actor,
        credential=credential,
        user=user,
        project=project,
        file=file,
        additional=additional,
    )
    return chain.append(event)


def record_events(events: list[tuple[EventTag, dict[str, Any]]]) -> list[Event]:
    """Record several events, in order, as ``record_event`` would one by one (each pair is a
    tag and that call's keyword arguments), reading the chain's head once for all of them."""
    return chain.append_all([_unsaved_event(tag, **fields) for tag, fields in events])
