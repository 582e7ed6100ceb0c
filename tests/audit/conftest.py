"""Users, a project with an Owner and a Maintainer, another project, signed-in clients, and a
way to record events with a given client address and user agent."""

import pytest
from django.test import Client, RequestFactory

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import record_event
from cheeseshop.packaging.models import Role, RoleName

# The manage tests' project and people, used as they are.
from tests.accounts.sessions import signed_in_through_the_site
from tests.index.builders import make_project
from tests.manage.conftest import (  # noqa: F401
    maintainer,
    maintainer_client,
    owner,
    owner_client,
    project,
    release,
    stranger,
    stranger_client,
    wheel,
)
from tests.upload.conftest import packages_dir  # noqa: F401 - autouse: per-test file storage


@pytest.fixture
def other_project(stranger):  # noqa: F811 - the imported fixture
    other = make_project("Other_Thing")
    Role.objects.create(user=stranger, project=other, role_name=RoleName.OWNER)
    return other


@pytest.fixture
def staff(db):
    return create_user("staffer", "staff@example.com", password="staff-Pa55word", admin=True)


def signed_in(user) -> Client:
    return signed_in_through_the_site(user)


@pytest.fixture
def staff_client(staff) -> Client:
    return signed_in(staff)


def request_from(
    ip: str = "203.0.113.7", user_agent: str = "Mozilla/5.0 (X11; Linux) Firefox/128"
):
    return RequestFactory().get("/", REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)


def record(tag, *, ip: str = "203.0.113.7", user_agent: str = "twine/6.1.0", **fields) -> Event:
    """Record ``tag`` as a request from ``ip`` with ``user_agent`` would."""
    return record_event(tag, request=request_from(ip, user_agent), **fields)
