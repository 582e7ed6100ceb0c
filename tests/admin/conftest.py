"""A staff member's browser in the admin, and uploads through /legacy/ with a token."""

import pytest
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.index.negotiation import JSON_V1
from tests.accounts.sessions import signed_in_through_the_site
from tests.packaging.dists import make_wheel

# Fixtures of the upload tests, used here as they are.
from tests.upload.conftest import packages_dir, post_upload, token, user  # noqa: F401

STAFF_PASSWORD = "staff-Pa55word-for-tests"


@pytest.fixture
def staff(db):
    return create_user("staffer", "staff@example.com", password=STAFF_PASSWORD, admin=True)


@pytest.fixture
def staff_client(staff) -> Client:
    return signed_in_through_the_site(staff)


def run_action(client: Client, changelist: str, action: str, ids, *, confirm: bool = False):
    """POST the admin changelist's action form, as the "Go" button does."""
    data = {"action": action, "_selected_action": [str(i) for i in ids], "index": "0"}
    if confirm:
        data["post"] = "yes"
    return client.post(changelist, data)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def uploaded(post_upload, tmp_path):  # noqa: F811
    """Upload a wheel of "example-pkg" 1.0 with alice's token; returns the wheel path."""

    def upload(name: str = "example-pkg", version: str = "1.0"):
        wheel = make_wheel(tmp_path, name, version)
        response = post_upload(wheel, name, version)
        assert response.status_code == 200, response.content
        return wheel

    return upload


def simple_json(client: Client, name: str) -> dict:
    response = client.get(f"/simple/{name}/", headers={"accept": JSON_V1})
    assert response.status_code == 200, response.content
    return response.json()
