"""Rate limits hold across server processes: two `cheeseshop serve` on one database count the
same attempts, with the default settings (no Redis)."""

import contextlib
import re

import pyotp
import pytest
import requests

from tests.e2e.conftest import running_index, start_index

LIMIT = 3


@pytest.fixture
def two_servers(tmp_path):
    """Two server processes on one data directory and database, each counting with the
    default storage."""
    limits = {"CHEESESHOP_LOGIN_LIMIT": f"{LIMIT} per 5 minutes"}
    limits |= {"CHEESESHOP_SIGNUP_LIMIT": f"{LIMIT} per hour"}
    limits |= {"CHEESESHOP_2FA_USER_LIMIT": f"{LIMIT} per 5 minutes"}
    with running_index(tmp_path / "data", limits) as first:
        database = {k: v for k, v in first.env.items() if k == "CHEESESHOP_DATABASE_URL"}
        second = start_index(first.data_dir, {**limits, **database})
        with contextlib.closing(requests.Session()) as session:
            try:
                yield session, [first, second]
            finally:
                second.stop()


def _post_form(session: requests.Session, url: str, data: dict) -> int:
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:  # the form itself is refused once the limit is reached
        return page.status_code
    response = session.post(url, {**data, "csrfmiddlewaretoken": token[1]}, timeout=30)
    return response.status_code


def test_failed_logins_are_counted_across_server_processes(two_servers):
    session, servers = two_servers
    statuses = [
        _post_form(
            session,
            f"{servers[n % 2].url}/account/login/",
            {"login": "alice", "password": f"wrong-{n}"},
        )
        for n in range(2 * LIMIT)
    ]
    assert statuses == [200] * LIMIT + [429] * LIMIT


def test_sign_ups_are_counted_across_server_processes(two_servers):
    session, servers = two_servers
    statuses = [
        _post_form(
            session, f"{servers[n % 2].url}/account/signup/", {"username": f"u{n}", "email": "x"}
        )
        for n in range(2 * LIMIT)
    ]
    assert statuses == [200] * LIMIT + [429] * LIMIT


def test_wrong_second_factor_codes_are_counted_across_server_processes(two_servers):
    session, servers = two_servers
    password = "correct-horse-battery-staple-42"
    enrolled = servers[0].cli(
        "user",
        "create",
        "bob",
        "--email",
        "bob@example.com",
        "--password-stdin",
        "--totp",
        input=password + "\n",
    )
    secret = enrolled.split()[-1]
    login = {"login": "bob", "password": password}
    assert _post_form(session, f"{servers[0].url}/account/login/", login) == 200  # the 2FA form
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    statuses = [
        _post_form(session, f"{servers[n % 2].url}/account/2fa/authenticate/", {"code": wrong})
        for n in range(2 * LIMIT)
    ]
    assert statuses == [200] * LIMIT + [429] * LIMIT
