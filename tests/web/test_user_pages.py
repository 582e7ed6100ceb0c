import pytest

from cheeseshop.accounts.services import create_user
from cheeseshop.packaging.models import ProjectStatus, Role, RoleName
from tests.index.builders import make_project, make_release
from tests.web.pages import get_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def olive():
    user = create_user("Olive", "olive@example.com")
    for name, role_name in [("brie", RoleName.OWNER), ("Camembert", RoleName.MAINTAINER)]:
        project = make_project(name)
        make_release(project, "1.0")
        Role.objects.create(user=user, project=project, role_name=role_name)
    return user


def test_user_page_shows_the_profile_and_projects_with_roles(client, olive):
    html = get_page(client, "/user/Olive/")

    assert "<h1>Olive</h1>" in html
    assert "Joined" in html
    assert "2 projects" in html
    assert 'href="/project/brie/">brie</a>' in html
    assert 'href="/project/camembert/">Camembert</a>' in html
    assert html.index("/project/brie/") < html.index("/project/camembert/")
    assert "Owner" in html
    assert "Maintainer" in html
    assert "olive@example.com" not in html


def test_user_page_hides_quarantined_projects_and_projects_without_releases(client, olive):
    brie = Role.objects.get(user=olive, project__name="brie").project
    brie.status = ProjectStatus.QUARANTINED
    brie.save()
    Role.objects.create(user=olive, project=make_project("empty"), role_name=RoleName.OWNER)
    html = get_page(client, "/user/Olive/")

    assert "1 project" in html
    assert "/project/brie/" not in html
    assert "/project/empty/" not in html


def test_a_user_without_projects_says_so(client):
    create_user("lonely", "lonely@example.com")
    html = get_page(client, "/user/lonely/")
    assert "does not maintain any projects" in html


def test_user_page_redirects_another_case_to_the_username(client, olive):
    response = client.get("/user/olive/")
    assert response.status_code == 301
    assert response["Location"] == "/user/Olive/"


def test_unknown_and_inactive_users_are_404(client, olive):
    olive.is_active = False
    olive.save()
    get_page(client, "/user/Olive/", status=404)
    html = get_page(client, "/user/nobody/", status=404)
    assert "No user named “nobody” is on this index." in html
