"""Who may open and change what under /manage/: every project URL, every kind of visitor."""

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from cheeseshop.packaging.models import File, Project, Release, Role, RoleInvitation
from tests.manage.conftest import signed_in
from tests.manage.urls import ALL, OWNER_ONLY_WRITES, PAGES, WRITES, fill, fill_data, url_values

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = ["/manage/account/", "/manage/projects/"]


def snapshot() -> tuple:
    """Everything a management write could change."""
    return (
        list(Project.objects.values_list("id", "last_serial")),
        list(Release.objects.values_list("id", "yanked", "yanked_reason")),
        list(File.objects.values_list("id", flat=True)),
        list(Role.objects.values_list("id", "role_name")),
        list(RoleInvitation.objects.values_list("id", flat=True)),
        Event.objects.count(),
    )


@pytest.fixture
def values(project, stranger):
    return url_values(project, create_user("ivy", "ivy@example.com"))


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("template", ALL)
def test_a_non_member_gets_403_on_every_project_url(stranger_client, values, template, method):
    before = snapshot()
    response = getattr(stranger_client, method)(fill(template, values))
    assert response.status_code == 403
    assert "not a collaborator" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("template", ALL + ACCOUNT_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(values, template, method):
    url = fill(template, values)
    before = snapshot()
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")
    assert snapshot() == before


@pytest.mark.parametrize(("template", "data"), OWNER_ONLY_WRITES)
def test_a_maintainer_cannot_make_owner_only_changes(maintainer_client, values, template, data):
    before = snapshot()
    response = maintainer_client.post(fill(template, values), fill_data(data, values))
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("template", "data"), WRITES)
def test_get_on_a_write_endpoint_is_not_allowed(owner_client, values, template, data):
    response = owner_client.get(fill(template, values))
    assert response.status_code == 405


@pytest.mark.parametrize(("template", "data"), WRITES)
def test_a_post_without_csrf_token_is_refused(owner, values, template, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot()
    response = client.post(fill(template, values), fill_data(data, values))
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("template", "data"), WRITES)
def test_the_read_only_flag_blocks_every_write(owner_client, values, template, data):
    set_flag(FlagId.READ_ONLY, True)
    before = snapshot()
    response = owner_client.post(fill(template, values), fill_data(data, values))
    assert response.status_code == 403
    assert "Read-only mode" in response.content.decode()
    assert snapshot() == before


def test_the_read_only_flag_blocks_answering_invitations(values, stranger):
    invitee = RoleInvitation.objects.get().user
    set_flag(FlagId.READ_ONLY, True)
    client = signed_in(invitee)
    for action in ["accept", "decline"]:
        response = client.post(f"/manage/invitations/{values['invitation']}/{action}/")
        assert response.status_code == 403
    assert RoleInvitation.objects.exists()
    assert not Role.objects.filter(user=invitee).exists()


def test_write_succeeds_with_csrf_token_when_sent(owner, values):
    # The CSRF test above must fail for the missing token, not for some other reason.
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get(fill("/manage/project/{name}/release/1.0/", values))
    token = page.cookies["csrftoken"].value
    response = client.post(
        fill("/manage/project/{name}/release/1.0/yank/", values),
        {"reason": "broken", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Release.objects.get().yanked


@pytest.mark.parametrize("template", PAGES)
def test_an_unknown_project_is_404(owner_client, template):
    assert owner_client.get(fill(template, {"name": "no-such-project"})).status_code == 404


@pytest.mark.parametrize("template", PAGES)
def test_a_non_normalized_name_redirects_permanently(owner_client, values, template):
    response = owner_client.get(fill(template, {**values, "name": "Cheese.Tools"}) + "?page=2")
    assert response.status_code == 301
    assert response["Location"] == fill(template, values) + "?page=2"


def test_an_unknown_release_is_404(owner_client, values):
    response = owner_client.get(fill("/manage/project/{name}/release/9.9/", values))
    assert response.status_code == 404


def test_a_release_is_found_by_its_canonical_version(owner_client, values):
    response = owner_client.get(fill("/manage/project/{name}/release/1.0.0/", values))
    assert response.status_code == 200


@pytest.mark.parametrize("template", PAGES + ACCOUNT_PAGES)
def test_a_user_without_verified_email_is_told_how_to_verify(owner, values, template):
    EmailAddress.objects.filter(user=owner).update(verified=False)
    response = signed_in(owner).get(fill(template, values))
    assert response.status_code == 403
    assert "Verify your email address" in response.content.decode()
    assert 'href="/account/email/"' in response.content.decode()


def test_a_frozen_user_is_refused(owner, values):
    client = signed_in(owner)
    owner.is_frozen = True
    owner.save()
    response = client.get(fill("/manage/project/{name}/", values))
    # Signed out by the accounts app, or refused here if the session survives.
    if response.status_code == 302:
        assert response["Location"].startswith("/account/login/")
    else:
        assert response.status_code == 403
        assert "frozen" in response.content.decode()
