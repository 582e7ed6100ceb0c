"""Each management page as an Owner and as a Maintainer sees it."""

import pytest

from cheeseshop.packaging.models import RoleInvitation, RoleName

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_account_page_shows_username_emails_and_links(owner_client):
    page = body(owner_client.get("/manage/account/"))
    assert "olivia" in page
    assert "olivia@example.com" in page
    assert 'href="/account/email/"' in page
    assert 'href="/account/password/change/"' in page
    assert "API tokens" in page


def test_account_page_lists_pending_invitations_with_answer_buttons(
    project, owner, stranger, stranger_client
):
    invitation = RoleInvitation.objects.create(
        user=stranger, project=project, role_name=RoleName.MAINTAINER, invited_by=owner
    )
    page = body(stranger_client.get("/manage/account/"))
    assert f'action="/manage/invitations/{invitation.pk}/accept/"' in page
    assert f'action="/manage/invitations/{invitation.pk}/decline/"' in page


def test_projects_page_lists_your_projects_with_your_role(project, maintainer_client):
    page = body(maintainer_client.get("/manage/projects/"))
    assert 'href="/manage/project/cheese-tools/"' in page
    assert "Maintainer" in page


def test_projects_page_of_a_stranger_lists_no_project(project, stranger_client):
    page = body(stranger_client.get("/manage/projects/"))
    assert "cheese-tools" not in page
    assert "You do not collaborate on any project yet" in page


@pytest.mark.parametrize(
    "url", ["/manage/project/cheese-tools/", "/manage/project/cheese-tools/settings/"]
)
def test_settings_page_shows_summary_and_danger_zone_to_owners(owner_client, project, url):
    page = body(owner_client.get(url))
    assert "Settings of Cheese_Tools" in page
    assert 'action="/manage/project/cheese-tools/delete/"' in page
    assert "stays used forever" in page


def test_settings_page_offers_no_deletion_to_maintainers(maintainer_client, project):
    page = body(maintainer_client.get("/manage/project/cheese-tools/"))
    assert "Settings of Cheese_Tools" in page
    assert "/delete/" not in page
    assert "Only the project's Owners can delete it." in page


def test_collaboration_page_for_owners_has_invite_change_and_remove(owner_client, project):
    page = body(owner_client.get("/manage/project/cheese-tools/collaboration/"))
    assert "olivia" in page
    assert "max" in page
    assert 'action="/manage/project/cheese-tools/collaboration/invite/"' in page
    assert "/change/" in page
    assert "Remove max" in page
    assert "Leave this project" not in page  # olivia is the only Owner


def test_collaboration_page_for_maintainers_only_offers_leaving(maintainer_client, project):
    page = body(maintainer_client.get("/manage/project/cheese-tools/collaboration/"))
    assert "olivia" in page
    assert "max" in page
    assert "/invite/" not in page
    assert "/change/" not in page
    assert "Remove olivia" not in page
    assert "Leave this project" in page


def test_releases_page_lists_releases_with_their_state(owner_client, release):
    release.yanked, release.yanked_reason = True, "broken wheel"
    release.save()
    page = body(owner_client.get("/manage/project/cheese-tools/releases/"))
    assert 'href="/manage/project/cheese-tools/release/1.0/"' in page
    assert "Yanked" in page
    assert "broken wheel" in page


def test_releases_page_offers_owners_yank_and_unyank(owner_client, project, release):
    from tests.index.builders import make_release

    make_release(project, "2.0", yanked=True, yanked_reason="bad")
    page = body(owner_client.get("/manage/project/cheese-tools/releases/"))
    assert 'action="/manage/project/cheese-tools/release/1.0/yank/"' in page
    assert 'action="/manage/project/cheese-tools/release/2.0/unyank/"' in page
    assert page.index("release/2.0/") < page.index("release/1.0/")  # newest version first


def test_releases_page_offers_maintainers_no_yanking(maintainer_client, release):
    page = body(maintainer_client.get("/manage/project/cheese-tools/releases/"))
    assert 'href="/manage/project/cheese-tools/release/1.0/"' in page
    assert "/yank/" not in page
    assert "Only the project's Owners can yank or delete" in page


def test_release_page_for_owners_has_yank_and_delete_forms(owner_client, release, wheel):
    page = body(owner_client.get("/manage/project/cheese-tools/release/1.0/"))
    assert wheel.filename in page
    assert "/release/1.0/yank/" in page
    assert f"/release/1.0/files/{wheel.pk}/delete/" in page
    assert "/release/1.0/delete/" in page
    assert "can never be uploaded again" in page


def test_release_page_for_maintainers_lists_files_without_forms(maintainer_client, wheel):
    page = body(maintainer_client.get("/manage/project/cheese-tools/release/1.0/"))
    assert wheel.filename in page
    assert "/yank/" not in page
    assert "/delete/" not in page


def test_yanked_release_page_offers_unyank(owner_client, release):
    release.yanked, release.yanked_reason = True, "broken wheel"
    release.save()
    page = body(owner_client.get("/manage/project/cheese-tools/release/1.0/"))
    assert "/release/1.0/unyank/" in page
    assert "Reason: broken wheel" in page
    assert "/release/1.0/yank/" not in page


@pytest.mark.parametrize("client_name", ["owner_client", "maintainer_client"])
def test_history_page_is_open_to_every_collaborator(request, client_name, project):
    page = body(request.getfixturevalue(client_name).get("/manage/project/cheese-tools/history/"))
    assert "History of Cheese_Tools" in page
