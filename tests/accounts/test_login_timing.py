"""A failed login costs the same password hashing whether or not the account exists, is
active, or is named by username or by email: what the server does cannot tell them apart.

Hashing is counted, not timed: the suite's hasher is wrapped by one that counts every hash it
computes (a hasher subclass installed through PASSWORD_HASHERS, as a deployment would)."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, get_hashers
from django.test import Client

from cheeseshop.accounts.services import create_user
from tests.accounts.conftest import STRONG_PASSWORD, is_logged_in

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    """The suite's hasher, counting the hashes it computes (checks and new hashes alike)."""

    algorithm = "md5"
    computed = 0

    def encode(self, password, salt):
        CountingHasher.computed += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def counting_hasher(settings):
    settings.CHEESESHOP_LOGIN_LIMIT = "1000 per 5 minutes"  # every attempt reaches the check
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    get_hashers.cache_clear()
    yield
    get_hashers.cache_clear()


@pytest.fixture
def accounts():
    create_user("alice", "alice@example.com", password=STRONG_PASSWORD)
    inactive = create_user("ivan", "ivan@example.com", password=STRONG_PASSWORD)
    inactive.is_active = False
    inactive.save()
    frozen = create_user("fred", "fred@example.com", password=STRONG_PASSWORD)
    frozen.is_frozen = True
    frozen.save()
    create_user("nopass", "nopass@example.com")  # no usable password


def hashes_for_login(login: str, password: str, *, refused_with: int = 200) -> int:
    """How many hashes a login attempt computed; it must be refused (the form again, 200,
    unless ``refused_with`` says otherwise) and log no one in."""
    client = Client()
    before = CountingHasher.computed
    response = client.post("/account/login/", {"login": login, "password": password})
    assert response.status_code == refused_with, (login, response.status_code)
    assert not is_logged_in(client)
    return CountingHasher.computed - before


LOGINS = [
    "alice",
    "ALICE",
    "alice@example.com",
    "Alice@Example.com",
    "ivan",
    "ivan@example.com",
    "nopass",
    "nopass@example.com",
    "nobody",
    "nobody@example.com",
    "no-such-user-at-all",
]


def test_every_failed_login_costs_the_same_hashing(accounts):
    costs = {login: hashes_for_login(login, "wrong-password-1") for login in LOGINS}
    assert len(set(costs.values())) == 1, repr(costs)
    assert set(costs.values()) == {1}, costs


@pytest.mark.parametrize("login", LOGINS)
def test_a_failed_login_hashes_once(accounts, login):
    assert hashes_for_login(login, "wrong-password-2") == 1


@pytest.mark.parametrize(
    ("login", "refused_with"),
    [
        ("ivan", 302),  # to allauth's "account inactive" page
        ("ivan@example.com", 302),
        ("fred", 403),  # the frozen account's refusal
        ("fred@example.com", 403),
    ],
)
def test_the_right_password_of_an_inactive_or_frozen_account_hashes_once_and_logs_no_one_in(
    accounts, login, refused_with
):
    assert hashes_for_login(login, STRONG_PASSWORD, refused_with=refused_with) == 1


@pytest.mark.parametrize("login", ["alice", "alice@example.com", "ALICE"])
def test_the_right_password_logs_in_by_username_or_email(accounts, login):
    client = Client()
    response = client.post("/account/login/", {"login": login, "password": STRONG_PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)
