"""The API token pages under /manage/account/tokens/: list, create (shown once), revoke."""

import re
import time
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from allauth.account.models import EmailAddress
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from cheeseshop.packaging.models import Role, RoleName
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import issue_token, token_scope, visible_project_tokens
from cheeseshop.tokens.views import NEW_TOKEN_SESSION_KEY
from tests.index.builders import make_project
from tests.packaging.dists import make_wheel
from tests.upload.conftest import basic_auth, packages_dir, upload_form  # noqa: F401
from tests.web.pages import structure_problems

pytestmark = pytest.mark.django_db

LIST = "/manage/account/tokens/"
CREATE = "/manage/account/tokens/new/"
CREATED = "/manage/account/tokens/new/created/"
PASSWORD = "correct horse battery staple 42"
TOKEN_PATTERN = re.compile(r"pypi-[A-Za-z0-9_\-]{40,}")


def revoke_url(token: APIToken) -> str:
    return f"/manage/account/tokens/{token.pk}/revoke/"


def authenticated_at(client: Client, user, seconds_ago: float, *, again: bool = True) -> None:
    """Record in the session, as allauth does, that ``user`` typed their password: on the
    re-authentication page (``again``) or to log in."""
    record = {"method": "password", "at": time.time() - seconds_ago}
    if again:
        record["reauthenticated"] = True
    session = client.session
    session["account_authentication_methods"] = [record]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def signed_in(user, *, seconds_ago: float = 0, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    authenticated_at(client, user, seconds_ago)
    return client


@pytest.fixture
def alice(db):
    # A usable password: allauth skips re-authentication for accounts without one.
    return create_user("alice", "alice@example.com", password=PASSWORD)


@pytest.fixture
def bob(db):
    return create_user("bob", "bob@example.com", password=PASSWORD)


def owned_project(name: str, user):
    project = make_project(name)
    Role.objects.create(user=user, project=project, role_name=RoleName.OWNER)
    return project


@pytest.fixture
def cheese(alice):
    return owned_project("Cheese_Tools", alice)


@pytest.fixture
def wine(alice):
    return owned_project("wine-tools", alice)


@pytest.fixture
def client(alice) -> Client:
    return signed_in(alice)


def issue(user, description="ci", **options):
    return issue_token(user, description=description, credential=None, **options)


def create_form(**overrides) -> dict:
    form = {"description": "GitHub Actions", "scope": "account", "expires": ""}
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def created_token(client: Client, **overrides) -> str:
    """Create a token through the pages; the raw token the result page shows."""
    response = client.post(CREATE, create_form(**overrides))
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == CREATED
    page = client.get(CREATED).content.decode()
    return TOKEN_PATTERN.search(page).group(0)


def page_of(response, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()
    html = response.content.decode()
    assert structure_problems(html) == []
    return html


def upload(raw: str, name: str, tmp_path, version: str = "1.0"):
    wheel = make_wheel(tmp_path, name, version)
    return Client().post(
        "/legacy/",
        upload_form(wheel, name, version),
        headers={"Authorization": basic_auth(raw)},
    )


# --- Who may open the pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", LIST), ("get", CREATE), ("post", CREATE), ("get", CREATED), ("post", "revoke")],
)
def test_anonymous_visitors_are_sent_to_the_login_page(alice, method, url):
    token, _raw = issue(alice)
    url = revoke_url(token) if url == "revoke" else url
    response = getattr(Client(), method)(url, create_form() if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")
    assert APIToken.objects.get().revoked is None
    assert APIToken.objects.count() == 1


@pytest.mark.parametrize(("method", "url"), [("get", LIST), ("get", CREATE), ("post", CREATE)])
def test_a_user_without_a_verified_email_is_refused(alice, client, method, url):
    EmailAddress.objects.filter(user=alice).update(verified=False)
    response = getattr(client, method)(url, create_form() if method == "post" else None)
    assert response.status_code == 403
    assert "Verify your email address" in response.content.decode()
    assert not APIToken.objects.exists()


def test_a_frozen_user_cannot_create_tokens(alice, client):
    alice.is_frozen = True
    alice.save()
    response = client.post(CREATE, create_form())
    # Signed out (sent to the login page) or refused, depending on where the freeze is caught.
    if response.status_code == 302:
        assert response["Location"].startswith("/account/login/")
    else:
        assert response.status_code == 403
    assert not APIToken.objects.exists()


def test_get_on_the_revoke_endpoint_is_not_allowed(alice, client):
    token, _raw = issue(alice)
    assert client.get(revoke_url(token)).status_code == 405


# --- Listing ------------------------------------------------------------------------------


def test_the_list_shows_each_token_with_scope_dates_and_state(alice, client, cheese, wine):
    in_a_week = timezone.now() + timedelta(days=7)
    account_token, _ = issue(alice, "everything")
    scoped, _ = issue(alice, "two projects", project_names=["cheese-tools", "wine-tools"])
    expiring, _ = issue(alice, "short lived", expires_at=in_a_week)
    revoked, _ = issue(alice, "old laptop")
    APIToken.objects.filter(pk=revoked.pk).update(revoked=timezone.now())
    APIToken.objects.filter(pk=account_token.pk).update(last_used=timezone.now())

    page = page_of(client.get(LIST))

    for description in ("everything", "two projects", "short lived", "old laptop"):
        assert f'<th scope="row">{description}</th>' in page
    assert "Entire account" in page
    assert '<a href="/project/cheese-tools/">Cheese_Tools</a>' in page
    assert '<a href="/project/wine-tools/">wine-tools</a>' in page
    assert f'datetime="{token_scope(expiring).expires_at.isoformat()}"' in page
    assert page.count(">Revoked<") == 1
    assert page.count(">Active<") == 3
    # A revoke button for each active token, none for the revoked one.
    for token in (account_token, scoped, expiring):
        assert f'action="{revoke_url(token)}"' in page
    assert f'action="{revoke_url(revoked)}"' not in page


def test_an_expired_token_is_listed_as_expired_without_a_revoke_button(alice, client):
    token, _ = issue(alice, expires_at=timezone.now() + timedelta(seconds=1))
    APIToken.objects.filter(pk=token.pk).update(
        caveats=[
            *[c for c in token.caveats if c[0] != 0],
            [0, int(time.time()) - 10, int(time.time()) - 100],
        ]
    )
    page = page_of(client.get(LIST))
    assert ">Expired<" in page
    assert f'action="{revoke_url(token)}"' not in page


def test_never_used_and_never_expiring_tokens_say_never(alice, client):
    issue(alice)
    page = page_of(client.get(LIST))
    assert page.count("Never") == 2


def test_the_list_shows_only_the_users_own_tokens(alice, bob, client):
    issue(bob, "bobs secret workflow")
    page = page_of(client.get(LIST))
    assert "bobs secret workflow" not in page
    assert "You have no API tokens yet." in page


def test_a_scoped_project_that_no_longer_exists_is_named_without_a_link(alice, client, cheese):
    issue(alice, project_names=["cheese-tools"])
    cheese.delete()
    page = page_of(client.get(LIST))
    assert "cheese-tools" in page
    assert "(no longer exists)" in page
    assert 'href="/project/cheese-tools/"' not in page


# --- Creating -----------------------------------------------------------------------------


def test_the_create_form_lists_only_the_users_projects(alice, bob, client, cheese):
    owned_project("bobs-project", bob)
    page = page_of(client.get(CREATE))
    assert 'value="cheese-tools"' in page
    assert "bobs-project" not in page
    assert 'name="expires"' in page
    assert 'type="date"' in page
    assert "<legend>Scope</legend>" in page


def test_a_user_without_projects_is_offered_only_the_account_scope(alice, client):
    page = page_of(client.get(CREATE))
    assert 'value="account"' in page
    assert 'value="projects"' not in page
    assert "You do not collaborate on any project yet" in page


def test_creating_an_account_wide_token_shows_it_once_with_snippets(alice, client):
    response = client.post(CREATE, create_form())
    assert response.status_code == 302
    assert response["Location"] == CREATED
    token = APIToken.objects.get()
    assert token.user == alice
    assert token.description == "GitHub Actions"
    assert token_scope(token).project_names is None

    shown = client.get(CREATED)
    page = page_of(shown)
    assert "no-store" in shown["Cache-Control"]
    raw = TOKEN_PATTERN.search(page).group(0)
    assert f'<code id="new-token" class="hash">{raw}</code>' in page
    assert "repository = http://testserver/legacy/" in page
    assert "username = __token__" in page
    assert f"password = {raw}" in page
    assert f"uv publish --publish-url http://testserver/legacy/ --token {raw}" in page
    assert f"UV_PUBLISH_TOKEN={raw}" in page
    # The snippets wrap (nothing is cut off, nothing scrolls without a keyboard stop).
    assert page.count('class="token-snippet"') == 4
    assert 'data-copy-target="new-token"' in page
    assert "/static/cheeseshop/web.js" in page
    assert NEW_TOKEN_SESSION_KEY not in client.session


def test_reloading_the_result_page_does_not_show_the_token_again(alice, client):
    raw = created_token(client)
    again = client.get(CREATED)
    page = page_of(again)
    assert raw not in page
    assert not TOKEN_PATTERN.search(page)
    assert "This token cannot be shown again" in page
    assert "no-store" in again["Cache-Control"]


def test_the_result_page_never_shows_another_users_token(alice, bob, client):
    token, raw = issue(bob)
    session = client.session
    session[NEW_TOKEN_SESSION_KEY] = {"id": str(token.pk), "raw": raw}
    session.save()
    page = page_of(client.get(CREATED))
    assert raw not in page


def test_the_raw_token_is_not_stored_in_the_database(alice, client):
    raw = created_token(client)
    token = APIToken.objects.get()
    assert raw not in str(token.caveats)
    assert raw.removeprefix("pypi-") not in bytes(token.key).hex()


def test_an_account_wide_token_created_on_the_page_uploads(alice, client, tmp_path):
    raw = created_token(client)
    response = upload(raw, "brand-new", tmp_path)
    assert response.status_code == 200, response.content.decode()
    event = Event.objects.get(tag=EventTag.FILE_ADD)
    assert event.credential["method"] == "token"
    assert event.credential["description"] == "GitHub Actions"


def test_a_project_scoped_token_uploads_to_its_project_only(alice, client, cheese, wine, tmp_path):
    raw = created_token(client, scope="projects", projects=["cheese-tools"])
    assert upload(raw, "Cheese_Tools", tmp_path).status_code == 200

    refused = upload(raw, "wine-tools", tmp_path)
    assert refused.status_code == 403
    assert "project-scoped token is not valid for project: 'wine-tools'" in unescape(
        refused.content.decode()
    )


def test_a_token_for_several_projects_uploads_to_each(alice, client, cheese, wine, tmp_path):
    raw = created_token(client, scope="projects", projects=["cheese-tools", "wine-tools"])
    assert token_scope(APIToken.objects.get()).project_names == ("cheese-tools", "wine-tools")
    assert upload(raw, "Cheese_Tools", tmp_path).status_code == 200
    assert upload(raw, "wine-tools", tmp_path).status_code == 200
    assert upload(raw, "brand-new", tmp_path).status_code == 403


def test_creating_records_the_account_and_project_events(alice, client, cheese, wine):
    created_token(client, scope="projects", projects=["cheese-tools", "wine-tools"])
    token = APIToken.objects.get()
    account_event = Event.objects.get(tag=EventTag.ACCOUNT_API_TOKEN_ADDED)
    assert account_event.user == alice
    assert account_event.actor == alice
    assert account_event.credential == {"method": "session"}
    assert account_event.additional["token_id"] == str(token.pk)
    assert account_event.additional["description"] == "GitHub Actions"
    project_events = Event.objects.filter(tag=EventTag.PROJECT_API_TOKEN_ADDED)
    assert {event.project_id for event in project_events} == {cheese.pk, wine.pk}


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_an_expiry_in_days_is_set_from_now(alice, client, days):
    before = timezone.now()
    created_token(client, expires=str(days))
    expires_at = token_scope(APIToken.objects.get()).expires_at
    expected = before + timedelta(days=days)
    assert expected - timedelta(seconds=5) <= expires_at <= expected + timedelta(seconds=5)


def test_an_expiry_date_makes_the_token_work_until_the_end_of_that_day(alice, client):
    day = date.today() + timedelta(days=10)
    created_token(client, expires="date", expires_on=day.isoformat())
    expires_at = token_scope(APIToken.objects.get()).expires_at
    assert expires_at == datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)


def test_without_an_expiry_the_token_never_expires(alice, client):
    created_token(client, expires_on=(date.today() + timedelta(days=3)).isoformat())
    assert token_scope(APIToken.objects.get()).expires_at is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"description": ""}, "description", "This field is required."),
        ({"description": "x" * 101}, "description", "at most 100 characters"),
        ({"scope": None}, "scope", "This field is required."),
        ({"scope": "everything"}, "scope", "Select a valid choice."),
        ({"scope": "projects"}, "projects", "Choose at least one project"),
        (
            {"scope": "account", "projects": ["cheese-tools"]},
            "projects",
            "You chose “Entire account” but also ticked projects",
        ),
        ({"scope": "projects", "projects": ["bobs-project"]}, "projects", "Select a valid"),
        ({"expires": "1000"}, "expires", "Select a valid choice."),
        ({"expires": "date"}, "expires_on", "Enter the date the token expires on."),
        ({"expires": "date", "expires_on": "tomorrow"}, "expires_on", "Enter a valid date."),
        (
            {"expires": "date", "expires_on": "2020-01-31"},
            "expires_on",
            "The expiry date Jan. 31, 2020 has passed",
        ),
    ],
)
def test_bad_form_input_is_refused_next_to_its_field(
    alice, bob, client, cheese, overrides, field, message
):
    owned_project("bobs-project", bob)
    events = Event.objects.count()
    response = client.post(CREATE, create_form(**overrides))
    page = page_of(response, 400)
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert errors is not None, page
    assert message in unescape(errors.group(1))
    # The error is tied to its field (Django adds aria-describedby; the fieldsets do it too).
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_error\b', page), page
    assert not APIToken.objects.exists()
    assert Event.objects.count() == events


def test_a_token_error_from_the_service_is_shown_as_a_form_error(alice, client):
    issue(alice, "GitHub Actions")
    response = client.post(CREATE, create_form(description="GitHub Actions"))
    page = page_of(response, 400)
    assert "already has a token described &#x27;GitHub Actions&#x27;" in page
    assert 'role="alert"' in page
    assert APIToken.objects.count() == 1


@pytest.mark.parametrize(
    ("description", "named"),
    [
        ("CI\x1b[1m", "a control character (U+001B)"),
        ("CI\x7f", "a control character (U+007F)"),
        ("CI\u0085x\x01", "a control character (U+0001)"),
    ],
)
def test_a_description_with_a_control_character_is_refused(alice, client, description, named):
    page = page_of(client.post(CREATE, create_form(description=description)), 400)
    assert f"The description contains {named}, which this index does not accept." in page
    assert not APIToken.objects.exists()


def test_a_description_with_a_nul_is_refused_before_the_page(alice, client):
    response = client.post(CREATE, create_form(description="CI\x00"))
    assert response.status_code == 400
    assert "The form field &#x27;description&#x27;" not in response.content.decode()
    assert "The form field 'description' contains a NUL character" in response.content.decode()
    assert not APIToken.objects.exists()


# --- Revoking -----------------------------------------------------------------------------


def test_revoking_a_token_stops_its_uploads_and_records_events(alice, client, cheese, tmp_path):
    token, raw = issue(alice, "release job", project_names=["cheese-tools"])
    response = client.post(revoke_url(token))
    assert response.status_code == 302
    assert response["Location"] == LIST
    token.refresh_from_db()
    assert token.revoked is not None
    event = Event.objects.get(tag=EventTag.ACCOUNT_API_TOKEN_REMOVED)
    assert event.actor == alice
    assert event.credential == {"method": "session"}
    assert event.additional["token_id"] == str(token.pk)
    assert Event.objects.get(tag=EventTag.PROJECT_API_TOKEN_REMOVED).project == cheese

    page = page_of(client.get(LIST))
    assert "The token “release job” was revoked" in page
    assert ">Revoked<" in page
    refused = upload(raw, "Cheese_Tools", tmp_path)
    assert refused.status_code == 403
    assert "the token has been revoked" in refused.content.decode()


def test_revoking_an_already_revoked_token_changes_nothing(alice, client):
    token, _raw = issue(alice, "twice")
    client.post(revoke_url(token))
    revoked_at = APIToken.objects.get().revoked
    response = client.post(revoke_url(token), follow=True)
    assert "The token “twice” was already revoked." in response.content.decode()
    assert APIToken.objects.get().revoked == revoked_at
    assert Event.objects.filter(tag=EventTag.ACCOUNT_API_TOKEN_REMOVED).count() == 1


def test_another_users_token_cannot_be_revoked(alice, bob, client):
    token, _raw = issue(bob)
    response = client.post(revoke_url(token))
    assert response.status_code == 404
    assert APIToken.objects.get().revoked is None
    assert not Event.objects.filter(tag=EventTag.ACCOUNT_API_TOKEN_REMOVED).exists()


def test_revoking_an_unknown_token_is_not_found(alice, client):
    response = client.post("/manage/account/tokens/00000000-0000-0000-0000-000000000000/revoke/")
    assert response.status_code == 404


# --- Re-authentication --------------------------------------------------------------------


@pytest.fixture
def stale_client(alice) -> Client:
    return signed_in(alice, seconds_ago=31 * 60)


def assert_sent_to_reauthenticate(response, next_url: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"/account/reauthenticate/?next={next_url.replace('/', '%2F')}"


def test_the_create_form_asks_for_reauthentication_after_an_old_login(stale_client):
    assert_sent_to_reauthenticate(stale_client.get(CREATE), CREATE)


def test_creating_after_an_old_login_asks_for_reauthentication_first(stale_client):
    assert_sent_to_reauthenticate(stale_client.post(CREATE, create_form()), CREATE)
    assert not APIToken.objects.exists()


def test_a_recent_login_counts_as_a_recent_authentication(alice):
    client = Client()
    client.force_login(alice)
    authenticated_at(client, alice, 60, again=False)
    assert client.get(CREATE).status_code == 200


def test_an_old_login_asks_for_reauthentication(alice):
    client = Client()
    client.force_login(alice)
    authenticated_at(client, alice, 31 * 60, again=False)
    assert_sent_to_reauthenticate(client.get(CREATE), CREATE)


def test_a_session_without_a_recorded_login_asks_for_reauthentication(alice):
    client = Client()
    client.force_login(alice)
    assert_sent_to_reauthenticate(client.get(CREATE), CREATE)


def test_a_real_login_lets_the_user_create_a_token_at_once(alice):
    client = Client()
    response = client.post("/account/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    assert client.get(CREATE).status_code == 200


def test_the_list_does_not_ask_for_reauthentication(stale_client):
    assert stale_client.get(LIST).status_code == 200


def test_revoking_after_reauthentication_completes_the_suspended_request(alice, stale_client):
    token, _raw = issue(alice)
    url = revoke_url(token)
    assert_sent_to_reauthenticate(stale_client.post(url), url)
    assert APIToken.objects.get().revoked is None

    response = stale_client.post(
        f"/account/reauthenticate/?next={url}", {"password": PASSWORD, "next": url}
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert APIToken.objects.get().revoked is not None


def test_a_wrong_password_does_not_complete_the_suspended_revocation(alice, stale_client):
    token, _raw = issue(alice)
    url = revoke_url(token)
    stale_client.post(url)
    stale_client.post(f"/account/reauthenticate/?next={url}", {"password": "wrong", "next": url})
    assert APIToken.objects.get().revoked is None


# --- CSRF and the read-only flag ---------------------------------------------------------


def test_a_create_post_without_csrf_token_is_refused(alice):
    client = signed_in(alice, enforce_csrf_checks=True)
    response = client.post(CREATE, create_form())
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert not APIToken.objects.exists()


def test_a_revoke_post_without_csrf_token_is_refused(alice):
    token, _raw = issue(alice)
    client = signed_in(alice, enforce_csrf_checks=True)
    response = client.post(revoke_url(token))
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    assert APIToken.objects.get().revoked is None


def test_the_forms_carry_a_csrf_token(alice, client):
    issue(alice)
    assert 'name="csrfmiddlewaretoken"' in page_of(client.get(CREATE))
    list_page = page_of(client.get(LIST))
    revoke_form = list_page.split('action="/manage/account/tokens/', 1)[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in revoke_form


def test_read_only_mode_refuses_creation(alice, client):
    set_flag(FlagId.READ_ONLY, True)
    response = client.post(CREATE, create_form())
    assert response.status_code == 403
    assert "Read-only mode: changes are temporarily disabled." in response.content.decode()
    assert not APIToken.objects.exists()


def test_read_only_mode_refuses_revocation(alice, client):
    token, _raw = issue(alice)
    set_flag(FlagId.READ_ONLY, True)
    response = client.post(revoke_url(token))
    assert response.status_code == 403
    assert "Read-only mode: changes are temporarily disabled." in response.content.decode()
    assert APIToken.objects.get().revoked is None


def test_read_only_mode_still_lists_tokens(alice, client):
    issue(alice, "still visible")
    set_flag(FlagId.READ_ONLY, True)
    assert "still visible" in page_of(client.get(LIST))


# --- The project settings section ---------------------------------------------------------


@pytest.fixture
def shared(alice, bob, cheese):
    Role.objects.create(user=bob, project=cheese, role_name=RoleName.MAINTAINER)
    return cheese


def test_an_owner_sees_every_token_that_can_upload_to_the_project(alice, bob, shared, wine):
    mine, _ = issue(alice, "alice account")
    bobs, _ = issue(bob, "bob scoped", project_names=["cheese-tools"])
    issue(alice, "wine only", project_names=["wine-tools"])
    visible = visible_project_tokens(shared, alice, is_owner=True)
    assert {token.pk for token in visible} == {mine.pk, bobs.pk}


def test_a_maintainer_sees_only_their_own_tokens_for_the_project(alice, bob, shared):
    issue(alice, "alice account")
    bobs, _ = issue(bob, "bob scoped", project_names=["cheese-tools"])
    visible = visible_project_tokens(shared, bob, is_owner=False)
    assert [token.pk for token in visible] == [bobs.pk]


def render_project_tokens(tokens, viewer, *, show_owner: bool) -> str:
    return render_to_string(
        "tokens/_project_tokens.html",
        {"tokens": tokens, "viewer": viewer, "show_owner": show_owner},
    )


def test_the_project_section_shows_owners_to_an_owner(alice, bob, shared):
    issue(alice, "alice account")
    issue(bob, "bob scoped", project_names=["cheese-tools"])
    html = render_project_tokens(
        visible_project_tokens(shared, alice, is_owner=True), alice, show_owner=True
    )
    assert "Tokens that can upload to this project" in html
    assert '<th scope="col">Owner</th>' in html
    assert '<th scope="row">alice account</th>' in html
    assert '<th scope="row">bob scoped</th>' in html
    assert "Entire account" in html
    assert "Projects: cheese-tools" in html
    assert "(you)" in html


def test_the_project_section_shows_no_owner_column_to_a_maintainer(alice, bob, shared):
    issue(bob, "bob scoped", project_names=["cheese-tools"])
    html = render_project_tokens(
        visible_project_tokens(shared, bob, is_owner=False), bob, show_owner=False
    )
    assert '<th scope="row">bob scoped</th>' in html
    assert "Owner</th>" not in html
    assert "Only Owners see the other collaborators' tokens." in unescape(html)


def test_the_project_section_says_when_no_token_can_upload(alice, shared):
    html = render_project_tokens([], alice, show_owner=True)
    assert "No active API token can upload to this project." in html


def test_a_description_with_markup_is_shown_as_text(alice, client):
    issue(alice, "<script>alert(1)</script>")
    page = page_of(client.get(LIST))  # the checker also finds no inline script
    assert '<th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;</th>' in page
