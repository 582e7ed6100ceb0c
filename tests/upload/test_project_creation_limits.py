"""The limits on new projects: counted exactly under concurrency, and held only to accounts
that signed up on their own (staff and trusted uploaders, the index's CI, publish at will)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from cheeseshop.accounts.services import create_user, set_trusted_uploader
from cheeseshop.audit.services import CLI
from cheeseshop.packaging.models import Project
from cheeseshop.tokens.services import create_token
from tests.audit.tampering import flushable_audit_table, on_postgresql  # noqa: F401
from tests.packaging.dists import make_wheel
from tests.upload.conftest import basic_auth, upload_form

CONCURRENT = 10
LIMIT = 3


def _upload_at_once(uploads: list[tuple[str, object, str]]) -> list[int]:
    """POST each (token, wheel, name) to /legacy/ from its own thread and database
    connection, all released at once, as a server's workers would receive them."""
    start = threading.Barrier(len(uploads))

    def upload(token, wheel, name) -> int:
        try:
            form = upload_form(wheel, name, "1.0")
            start.wait(timeout=30)
            response = Client(REMOTE_ADDR="198.51.100.7").post(
                "/legacy/", form, headers={"Authorization": basic_auth(token)}
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(len(uploads)) as pool:
        return list(pool.map(lambda args: upload(*args), uploads))


def _one_user(count: int) -> list[str]:
    user = create_user("alice", "alice@example.com")
    return [create_token(user, description="ci")[1]] * count


def _users_on_one_address(count: int) -> list[str]:
    users = [create_user(f"user{n}", f"user{n}@example.com") for n in range(count)]
    return [create_token(user, description="ci")[1] for user in users]


@pytest.mark.usefixtures("flushable_audit_table")
@pytest.mark.parametrize(
    ("uploaders", "limited"),
    [
        (_one_user, "CHEESESHOP_PROJECT_CREATE_USER_LIMIT"),
        (_users_on_one_address, "CHEESESHOP_PROJECT_CREATE_IP_LIMIT"),
    ],
    ids=["per user", "per address"],
)
def test_concurrent_new_projects_pass_only_up_to_the_limit(settings, tmp_path, uploaders, limited):
    if not on_postgresql():
        pytest.skip("SQLite runs one writing transaction at a time: nothing to race")
    settings.CHEESESHOP_PROJECT_CREATE_USER_LIMIT = "1000/hour"
    settings.CHEESESHOP_PROJECT_CREATE_IP_LIMIT = "1000/hour"
    setattr(settings, limited, f"{LIMIT}/hour")
    tokens = uploaders(CONCURRENT)
    uploads = [
        (token, make_wheel(tmp_path, f"burst-{n}", "1.0"), f"burst-{n}")
        for n, token in enumerate(tokens)
    ]
    statuses = _upload_at_once(uploads)
    assert sorted(statuses) == [200] * LIMIT + [429] * (CONCURRENT - LIMIT)
    assert Project.objects.count() == LIMIT


MONOREPO = 100  # packages a team's CI publishes at once: over 20/hour per user, 40 per address
REFUSAL = (
    "Too many new projects created. Staff and trusted uploaders are not limited: ask the "
    "index's administrators to make your account a trusted uploader."
)


def _publish(client: Client, token: str, tmp_path, name: str) -> int:
    form = upload_form(make_wheel(tmp_path, name, "1.0"), name, "1.0")
    return client.post("/legacy/", form, headers={"Authorization": basic_auth(token)})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_uploader",
    [
        lambda: create_user("ci", "ci@example.com", trusted_uploader=True),
        lambda: create_user("root", "root@example.com", admin=True),
    ],
    ids=["trusted uploader", "staff"],
)
def test_a_trusted_uploader_or_staff_publishes_a_monorepo_with_the_default_limits(
    client, tmp_path, make_uploader
):
    token = create_token(make_uploader(), description="ci")[1]
    statuses = [
        _publish(client, token, tmp_path, f"mono-{n}").status_code for n in range(MONOREPO)
    ]
    assert statuses == [200] * MONOREPO
    assert Project.objects.count() == MONOREPO


@pytest.mark.django_db
def test_an_account_that_signed_up_on_its_own_is_refused_at_the_limit_and_told_the_way_out(
    client, tmp_path, settings
):
    # create_user's default is a self-signed-up account's: not a trusted uploader.
    user = create_user("newcomer", "newcomer@example.com")
    assert not user.is_trusted_uploader
    token = create_token(user, description="ci")[1]
    assert settings.CHEESESHOP_PROJECT_CREATE_USER_LIMIT == "20/hour"  # the default, PyPI's
    limit = 20
    for n in range(limit):
        assert _publish(client, token, tmp_path, f"mono-{n}").status_code == 200
    refused = _publish(client, token, tmp_path, "one-too-many")
    assert refused.status_code == 429
    assert REFUSAL in refused.content.decode()
    assert Project.objects.count() == limit

    set_trusted_uploader(user, True, credential=CLI)
    assert _publish(client, token, tmp_path, "one-too-many").status_code == 200


@pytest.mark.django_db
def test_trusted_uploaders_from_one_address_are_not_held_to_its_limit(client, tmp_path, settings):
    settings.CHEESESHOP_PROJECT_CREATE_IP_LIMIT = "2/hour"
    token = create_token(
        create_user("ci", "ci@example.com", trusted_uploader=True), description="ci"
    )[1]
    statuses = [_publish(client, token, tmp_path, f"shared-{n}").status_code for n in range(4)]
    assert statuses == [200] * 4
