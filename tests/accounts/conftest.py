import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from cheeseshop.accounts import ratelimits, totp
from cheeseshop.accounts.services import create_user

# The security history and the project notices are about the audit tests' people and project
# (the manage tests', used as they are).
from tests.audit.conftest import (  # noqa: F401
    maintainer,
    other_project,
    owner,
    owner_client,
    packages_dir,
    project,
    release,
    staff,
    stranger,
    wheel,
)

# zxcvbn scores the strong ones 4 of 4 and the weak one 1 of 4.
STRONG_PASSWORD = "correct-horse-battery-staple-42"
OTHER_STRONG_PASSWORD = "violet tugboat glacier pancake"
WEAK_PASSWORD = "abcdefgh12345"  # passes Django's own validators


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    settings.CHEESESHOP_RATELIMIT_STORAGE = "memory://"
    ratelimits.reset_all()
    yield
    # A test may have switched to the database storage: its counters go with the test database.
    if settings.CHEESESHOP_RATELIMIT_STORAGE == "memory://":
        ratelimits.reset_all()


@pytest.fixture
def clock(monkeypatch):
    """The time TOTP codes are computed and checked at, moved by hand."""
    from tests.accounts.two_factor_helpers import Clock  # (it imports this module)

    clock = Clock()
    monkeypatch.setattr(totp, "now", clock)
    return clock


@pytest.fixture
def alice(db):
    return create_user("alice", "alice@example.com", password=STRONG_PASSWORD)


@pytest.fixture
def alice_client(alice):
    client = Client()
    response = client.post("/account/login/", {"login": "alice", "password": STRONG_PASSWORD})
    assert response.status_code == 302, response.content
    return client


def add_unverified_address(user, email):
    return EmailAddress.objects.create(user=user, email=email, primary=False, verified=False)


def link_in(body: str, path_prefix: str) -> str:
    """The path of the first link in an email body that starts with ``path_prefix``."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S*)", body)
    assert match, f"no {path_prefix} link in:\n{body}"
    return match.group(1)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session
