import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection
from django.db.models import F
from django.test import Client

from cheeseshop.accounts import ratelimits
from cheeseshop.accounts.models import RateLimitHit, User
from cheeseshop.settings import parse_trusted_proxies
from tests.accounts.conftest import STRONG_PASSWORD, is_logged_in
from tests.audit.tampering import flushable_audit_table, on_postgresql  # noqa: F401


def log_in(login="alice", password=STRONG_PASSWORD, ip="127.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/account/login/", {"login": login, "password": password})
    return client, response


@pytest.fixture
def three_logins_per_5_minutes(settings):
    settings.CHEESESHOP_LOGIN_LIMIT = "3 per 5 minutes"


@pytest.mark.django_db
@pytest.mark.usefixtures("three_logins_per_5_minutes")
def test_login_is_locked_after_repeated_failures_and_says_for_how_long(alice):
    for _ in range(3):
        _client, response = log_in(password="not-the-password")
        assert response.status_code == 200

    client, response = log_in()  # even the right password, while locked
    assert response.status_code == 429
    assert "Too many failed login attempts. Try again in 5 minutes." in response.content.decode()
    assert int(response["Retry-After"]) <= 300
    assert not is_logged_in(client)


@pytest.mark.django_db
@pytest.mark.usefixtures("three_logins_per_5_minutes")
def test_successful_logins_do_not_consume_the_login_limit(alice):
    for _ in range(5):
        client, response = log_in()
        assert response.status_code == 302
        assert is_logged_in(client)
    for _ in range(2):
        log_in(password="not-the-password")
    client, response = log_in()
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.usefixtures("three_logins_per_5_minutes")
def test_failures_count_per_account_across_addresses_and_names(alice):
    log_in(login="alice", password="wrong-1", ip="10.0.0.1")
    log_in(login="alice@example.com", password="wrong-2", ip="10.0.0.2")
    log_in(login="ALICE", password="wrong-3", ip="10.0.0.3")
    _client, response = log_in(ip="10.0.0.4")
    assert response.status_code == 429


@pytest.mark.django_db
@pytest.mark.usefixtures("three_logins_per_5_minutes")
def test_failures_count_per_client_address_across_accounts(alice):
    for name in ("nobody", "someone", "anyone"):
        log_in(login=name, password="wrong", ip="10.0.0.9")
    _client, response = log_in(ip="10.0.0.9")
    assert response.status_code == 429
    _client, response = log_in(ip="10.0.0.10")
    assert response.status_code == 302


@pytest.mark.django_db
def test_signup_attempts_are_limited_per_client_address(settings):
    settings.CHEESESHOP_SIGNUP_LIMIT = "2 per hour"
    client = Client()
    for n in range(2):
        response = client.post("/account/signup/", {"username": f"u{n}", "email": "bad"})
        assert response.status_code == 200
    response = client.post(
        "/account/signup/",
        {
            "username": "bob",
            "email": "bob@example.com",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
        },
    )
    assert response.status_code == 429
    assert "Try again in 60 minutes." in response.content.decode()
    assert not User.objects.filter(username="bob").exists()
    assert client.get("/account/signup/").status_code == 429
    assert Client(REMOTE_ADDR="10.1.1.1").get("/account/signup/").status_code == 200


@pytest.mark.django_db
def test_password_reset_requests_are_limited_per_address(alice, settings):
    settings.CHEESESHOP_PASSWORD_RESET_LIMIT = "2 per day"
    for n in range(2):
        response = Client(REMOTE_ADDR=f"10.0.0.{n}").post(
            "/account/password/reset/", {"email": "alice@example.com"}
        )
        assert response.status_code == 302
    response = Client(REMOTE_ADDR="10.0.0.7").post(
        "/account/password/reset/", {"email": "alice@example.com"}
    )
    assert response.status_code == 429
    assert "Too many password reset requests. Try again in 24 hours." in (
        response.content.decode()
    )
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_password_reset_limit_treats_unknown_addresses_alike(settings):
    settings.CHEESESHOP_PASSWORD_RESET_LIMIT = "2 per day"
    client = Client()
    statuses = [
        client.post("/account/password/reset/", {"email": f"n{n}@example.com"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]  # per client address


@pytest.mark.django_db
def test_verification_emails_are_limited_per_user(alice, alice_client, settings):
    settings.CHEESESHOP_EMAIL_VERIFY_LIMIT = "2 per 6 hours"
    alice_client.post("/account/email/", {"action_add": "", "email": "alice@work.example"})
    resend = {"action_send": "", "email": "alice@work.example"}
    assert alice_client.post("/account/email/", resend).status_code == 302
    response = alice_client.post("/account/email/", resend)
    assert response.status_code == 429
    assert "Too many verification emails" in response.content.decode()
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_unverified_login_stops_sending_links_once_the_limit_is_reached(alice, settings):
    from allauth.account.models import EmailAddress

    settings.CHEESESHOP_EMAIL_VERIFY_LIMIT = "2 per 6 hours"
    EmailAddress.objects.filter(user=alice).update(verified=False)
    for _ in range(4):
        _client, response = log_in()
        assert response["Location"] == "/account/confirm-email/"
    assert len(mail.outbox) == 2


SIGNUP_FORM = {"username": "x", "email": "bad"}  # refused by the form, counted by the limit


def _behind_proxies(hops: int, client: str, spoofed: str) -> Client:
    # The outermost proxy appends the client's address, each next one the previous proxy's.
    chain = [spoofed, client] + [f"10.0.0.{n}" for n in range(1, hops)]
    return Client(REMOTE_ADDR=f"10.0.0.{hops}", HTTP_X_FORWARDED_FOR=", ".join(chain))


@pytest.mark.django_db
@pytest.mark.parametrize("hops", [1, 2])
@pytest.mark.parametrize("trusted", ["count", "networks"])
def test_signups_with_spoofed_forwarded_addresses_are_counted_as_one_client(
    settings, hops, trusted
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CHEESESHOP_TRUSTED_PROXIES = (
        hops if trusted == "count" else parse_trusted_proxies("10.0.0.0/24")
    )
    settings.CHEESESHOP_SIGNUP_LIMIT = "3 per hour"
    statuses = [
        _behind_proxies(hops, "198.51.100.7", f"203.0.113.{n}")
        .post("/account/signup/", SIGNUP_FORM)
        .status_code
        for n in range(6)
    ]
    assert statuses == [200, 200, 200, 429, 429, 429]
    # Another client behind the same proxies is counted on its own.
    other = _behind_proxies(hops, "198.51.100.8", "203.0.113.1")
    assert other.post("/account/signup/", SIGNUP_FORM).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("hops", [1, 2])
def test_failed_logins_with_spoofed_forwarded_addresses_are_counted_as_one_client(
    alice, settings, hops
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CHEESESHOP_TRUSTED_PROXIES = hops
    settings.CHEESESHOP_LOGIN_LIMIT = "3 per 5 minutes"
    for n in range(3):
        client = _behind_proxies(hops, "198.51.100.7", f"203.0.113.{n}")
        client.post("/account/login/", {"login": f"nobody{n}", "password": "wrong"})
    client = _behind_proxies(hops, "198.51.100.7", "203.0.113.99")
    response = client.post("/account/login/", {"login": "alice", "password": STRONG_PASSWORD})
    assert response.status_code == 429


def test_allauth_sees_the_client_address_the_proxy_appended(settings):
    from allauth.account.adapter import get_adapter
    from django.test import RequestFactory

    settings.CHEESESHOP_TRUSTED_PROXIES = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.7"
    )
    assert get_adapter(request).get_client_ip(request) == "198.51.100.7"


@pytest.mark.django_db
@pytest.mark.parametrize("storage", ["database://", "memory://"])
def test_limits_count_hits_and_report_the_wait(settings, storage):
    settings.CHEESESHOP_RATELIMIT_STORAGE = storage
    settings.CHEESESHOP_LOGIN_LIMIT = "2 per minute"
    assert ratelimits.test("login", "k")
    assert ratelimits.hit("login", "k")
    assert ratelimits.hit("login", "k")
    assert not ratelimits.hit("login", "k")
    assert not ratelimits.test("login", "k")
    assert 55 <= ratelimits.reset_in("login", "k") <= 60
    assert ratelimits.reset_in("login", "other") == 0
    ratelimits.clear("login", "k")
    assert ratelimits.test("login", "k")


@pytest.mark.django_db
def test_the_database_storage_keeps_neither_addresses_nor_login_names_readable(settings):
    settings.CHEESESHOP_RATELIMIT_STORAGE = "database://"
    ratelimits.hit("login", "login:alice@example.com")
    (hit,) = RateLimitHit.objects.all()
    assert "alice" not in hit.key
    assert len(hit.key) == 64


@pytest.mark.django_db
def test_the_database_storage_forgets_attempts_that_left_every_window(settings):
    settings.CHEESESHOP_RATELIMIT_STORAGE = "database://"
    settings.CHEESESHOP_LOGIN_LIMIT = "2 per minute"
    ratelimits.hit("login", "old")
    RateLimitHit.objects.update(at=F("at") - 61, expires_at=F("expires_at") - 61)
    assert ratelimits.hit("login", "new")
    assert RateLimitHit.objects.count() == 1


@pytest.mark.usefixtures("flushable_audit_table")
def test_concurrent_attempts_at_the_limit_pass_only_up_to_it_on_postgresql(settings):
    # Threads, each with its own database connection, as workers of one server would be.
    # (Across processes on SQLite: tests/e2e/test_rate_limits.py.)
    if not on_postgresql():
        pytest.skip("SQLite runs one writing transaction at a time: nothing to race")
    settings.CHEESESHOP_RATELIMIT_STORAGE = "database://"
    settings.CHEESESHOP_LOGIN_LIMIT = "3 per 5 minutes"
    start = threading.Barrier(8)

    def attempt() -> bool:
        try:
            start.wait()
            return ratelimits.hit("login", "ip:shared")
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _n: attempt(), range(8)))
    assert results.count(True) == 3
    assert RateLimitHit.objects.count() == 3


def test_allauth_keeps_no_rate_limits_of_its_own():
    # allauth counts in Django's cache, per process by default: ours replace every one of them.
    from allauth.account import app_settings

    assert app_settings.RATE_LIMITS == {}


def test_the_default_storage_is_shared_by_every_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHEESESHOP_")}
    env["CHEESESHOP_DATA_DIR"] = str(tmp_path)
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cheeseshop.settings as s; print(s.CHEESESHOP_RATELIMIT_STORAGE)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "database://"


def test_unknown_limit_name_is_an_error():
    with pytest.raises(KeyError):
        ratelimits.hit("no-such-limit", "k")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (240, "4 minutes"),
        (7140, "119 minutes"),
        (7199, "2 hours"),
        (7200, "2 hours"),
        (86400, "24 hours"),
    ],
)
def test_waits_are_described_rounded_up(seconds, text):
    assert ratelimits.describe_wait(seconds) == text
