"""A project with an Owner and a Maintainer, one release with a wheel and an sdist, and
clients signed in as each kind of visitor."""

import pytest
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.index.services import refresh_project_pages
from cheeseshop.packaging.models import Role, RoleName
from tests.accounts.sessions import signed_in_through_the_site
from tests.index.builders import make_file, make_project, make_release
from tests.upload.conftest import packages_dir  # noqa: F401 - autouse: per-test file storage


@pytest.fixture
def owner(db):
    return create_user("olivia", "olivia@example.com")


@pytest.fixture
def maintainer(db):
    return create_user("max", "max@example.com")


@pytest.fixture
def stranger(db):
    return create_user("sam", "sam@example.com")


@pytest.fixture
def project(owner, maintainer):
    project = make_project("Cheese_Tools")
    Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    Role.objects.create(user=maintainer, project=project, role_name=RoleName.MAINTAINER)
    release = make_release(project, "1.0", summary="Tools for cheese")
    make_file(release, metadata=b"Metadata-Version: 2.4\nName: Cheese_Tools\nVersion: 1.0\n")
    make_file(release, "cheese_tools-1.0.tar.gz")
    refresh_project_pages(project)
    return project


@pytest.fixture
def release(project):
    return project.releases.get(version="1.0")


@pytest.fixture
def wheel(release):
    return release.files.get(packagetype="bdist_wheel")


def signed_in(user) -> Client:
    """Logged in through the site just now (recent enough for the deletions)."""
    return signed_in_through_the_site(user)


@pytest.fixture
def owner_client(owner) -> Client:
    return signed_in(owner)


@pytest.fixture
def maintainer_client(maintainer) -> Client:
    return signed_in(maintainer)


@pytest.fixture
def stranger_client(stranger) -> Client:
    return signed_in(stranger)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]
