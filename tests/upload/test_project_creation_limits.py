"""The limits on new projects: counted exactly under concurrency."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from cheeseshop.accounts.services import create_user
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
