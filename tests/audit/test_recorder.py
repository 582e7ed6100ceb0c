"""record_event: what each event stores about the request, and what it refuses."""

import pytest
from django.test import RequestFactory

from cheeseshop.audit.chain import verify_chain
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import SESSION, client_ip, hash_ip, ip_prefix, record_event
from cheeseshop.settings import parse_trusted_proxies

pytestmark = pytest.mark.django_db

TWINE = "twine/7.0.0 CPython/3.11.7"


def request_from(ip: str, user_agent: str = TWINE, **meta):
    return RequestFactory().post("/legacy/", REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent, **meta)


def test_an_event_stores_the_hashed_ip_raw_and_parsed_user_agent():
    event = record_event(EventTag.FILE_ADD, request=request_from("203.0.113.9"))
    stored = Event.objects.get(pk=event.pk)
    assert stored.ip_hash == hash_ip("203.0.113.9")
    assert "203.0.113" not in stored.ip_hash
    assert stored.user_agent == TWINE
    assert stored.user_agent_info["installer"] == {"name": "twine", "version": "7.0.0"}


def test_no_ip_prefix_is_stored_by_default():
    event = record_event(EventTag.FILE_ADD, request=request_from("203.0.113.9"))
    assert Event.objects.get(pk=event.pk).ip_prefix == ""


@pytest.mark.parametrize(
    ("ip", "prefix"),
    [
        ("203.0.113.9", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.7", "198.51.100.0/24"),
    ],
)
def test_the_ip_prefix_is_stored_when_the_operator_turns_it_on(settings, ip, prefix):
    settings.CHEESESHOP_AUDIT_STORE_IP_PREFIX = True
    event = record_event(EventTag.FILE_ADD, request=request_from(ip))
    assert Event.objects.get(pk=event.pk).ip_prefix == prefix
    assert verify_chain().intact


@pytest.mark.parametrize("value", ["", "not an ip", "203.0.113", "unix:/tmp/socket"])
def test_no_prefix_for_something_that_is_no_ip_address(value):
    assert ip_prefix(value) == ""


def test_behind_a_proxy_the_forwarded_client_address_is_recorded(settings):
    settings.CHEESESHOP_AUDIT_STORE_IP_PREFIX = True
    settings.CHEESESHOP_TRUSTED_PROXIES = 2
    request = request_from("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 10.0.0.1")
    event = record_event(EventTag.FILE_ADD, request=request)
    assert (event.ip_hash, event.ip_prefix) == (hash_ip("198.51.100.7"), "198.51.100.0/24")


CLIENT = "198.51.100.7"
# What a client may put in X-Forwarded-For before the proxies append to it.
SPOOFED_HEADERS = ["203.0.113.66", "203.0.113.66, 203.0.113.67", "unknown", " , ", "::1"]


def _through_proxies(hops: int, sent_by_client: str | None) -> dict[str, str]:
    """The request's META once ``hops`` proxies have each appended the address they were
    reached from: the outermost one the client's, the next ones the previous proxy's."""
    appended = [CLIENT] + [f"10.0.0.{n}" for n in range(1, hops)]
    entries = ([sent_by_client] if sent_by_client is not None else []) + appended
    return {"REMOTE_ADDR": f"10.0.0.{hops}", "HTTP_X_FORWARDED_FOR": ", ".join(entries)}


@pytest.mark.parametrize("hops", [1, 2, 3])
@pytest.mark.parametrize("sent_by_client", [None, *SPOOFED_HEADERS])
def test_the_client_address_is_the_one_the_outermost_proxy_appended(
    settings, hops, sent_by_client
):
    settings.CHEESESHOP_TRUSTED_PROXIES = hops
    request = RequestFactory().get("/", **_through_proxies(hops, sent_by_client))
    assert client_ip(request) == CLIENT


@pytest.mark.parametrize("sent_by_client", SPOOFED_HEADERS)
def test_a_spoofed_forwarded_address_is_not_recorded_behind_a_proxy(settings, sent_by_client):
    settings.CHEESESHOP_TRUSTED_PROXIES = 1
    request = request_from("10.0.0.1", **{"HTTP_X_FORWARDED_FOR": f"{sent_by_client}, {CLIENT}"})
    event = record_event(EventTag.FILE_ADD, request=request)
    assert event.ip_hash == hash_ip(CLIENT)


@pytest.mark.parametrize(
    ("appended", "address"),
    [
        ("198.51.100.7:4711", "198.51.100.7"),
        ("[2001:db8::7]:4711", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
    ],
)
def test_the_port_a_proxy_appends_with_the_address_is_dropped(settings, appended, address):
    settings.CHEESESHOP_TRUSTED_PROXIES = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.66, {appended}"
    )
    assert client_ip(request) == address


@pytest.mark.parametrize("forwarded", ["", "198.51.100.7", "198.51.100.7, 10.0.0.1"])
def test_without_a_proxy_the_forwarded_header_is_ignored(settings, forwarded):
    settings.CHEESESHOP_TRUSTED_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", ["", "198.51.100.7", "unknown, unknown"])
def test_a_request_that_did_not_pass_every_proxy_has_the_socket_address(settings, forwarded):
    # Fewer entries than proxies (someone reached a proxy behind the first one), or an entry
    # that is no address: only the socket's address is known.
    settings.CHEESESHOP_TRUSTED_PROXIES = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "10.0.0.2"


PROXY_NETWORKS = parse_trusted_proxies("10.0.0.0/8, 2001:db8:ffff::/48")


@pytest.mark.parametrize("hops", [1, 2, 3])
@pytest.mark.parametrize("sent_by_client", [None, *SPOOFED_HEADERS])
def test_behind_trusted_networks_the_client_is_the_first_address_outside_them(
    settings, hops, sent_by_client
):
    settings.CHEESESHOP_TRUSTED_PROXIES = PROXY_NETWORKS
    request = RequestFactory().get("/", **_through_proxies(hops, sent_by_client))
    assert client_ip(request) == CLIENT


@pytest.mark.parametrize(
    "forwarded", ["198.51.100.7", "203.0.113.66, 198.51.100.7", "10.0.0.1, 10.0.0.2"]
)
def test_a_request_not_from_a_trusted_network_has_its_socket_address(settings, forwarded):
    # Sent straight to the server, around the proxies: every entry is the client's own.
    settings.CHEESESHOP_TRUSTED_PROXIES = PROXY_NETWORKS
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize("spoofed", ["10.0.0.7", "2001:db8:ffff::1", "10.1.2.3, 10.0.0.9"])
def test_a_client_claiming_a_trusted_address_is_still_the_address_the_proxy_saw(settings, spoofed):
    # The client wrote a proxy's address to the left of its own: the walk stops at its own.
    settings.CHEESESHOP_TRUSTED_PROXIES = PROXY_NETWORKS
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{spoofed}, {CLIENT}"
    )
    assert client_ip(request) == CLIENT


def test_an_entry_that_is_no_address_ends_the_walk_at_the_proxy_that_wrote_it(settings):
    settings.CHEESESHOP_TRUSTED_PROXIES = PROXY_NETWORKS
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, unknown, 10.0.0.1"
    )
    assert client_ip(request) == "10.0.0.1"


def test_an_ipv4_mapped_socket_address_of_a_trusted_proxy_is_trusted(settings):
    settings.CHEESESHOP_TRUSTED_PROXIES = PROXY_NETWORKS
    request = RequestFactory().get(
        "/", REMOTE_ADDR="::ffff:10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.66, {CLIENT}"
    )
    assert client_ip(request) == CLIENT


def test_a_long_user_agent_is_stored_cut_but_parsed_whole():
    long_agent = 'pip/24.0 {"python": "3.12.1", "pad": "' + "x" * 600 + '"}'
    event = record_event(EventTag.FILE_ADD, request=request_from("203.0.113.9", long_agent))
    stored = Event.objects.get(pk=event.pk)
    assert len(stored.user_agent) == 512
    assert stored.user_agent_info["python"] == "3.12.1"
    assert verify_chain().intact


def test_an_event_without_a_request_has_no_ip_or_user_agent():
    event = record_event(EventTag.ACCOUNT_CREATE, credential=SESSION)
    stored = Event.objects.get(pk=event.pk)
    assert (stored.ip_hash, stored.ip_prefix, stored.user_agent) == ("", "", "")
    assert stored.user_agent_info == {}


def test_an_unknown_tag_is_refused_and_nothing_is_recorded():
    with pytest.raises(ValueError, match="project:explode"):
        record_event("project:explode")
    assert not Event.objects.exists()
