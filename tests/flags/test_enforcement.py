"""Each admin flag blocks what it says, at once, shows its banner, and lifts cleanly."""

import pytest

from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import set_flag
from cheeseshop.packaging.models import File, Project, Release
from tests.packaging.dists import make_wheel

pytestmark = pytest.mark.django_db

SIGNUP_CLOSED_TEMPLATE = "account/signup_closed.html"


@pytest.fixture
def upload(post_upload, tmp_path):
    def upload(name: str = "example-pkg", version: str = "1.0"):
        return post_upload(make_wheel(tmp_path, name, version), name, version)

    return upload


def assert_refused(response, message: str) -> None:
    assert response.status_code == 403, response.content
    assert message in response.reason_phrase
    assert message in response.content.decode()


def signup_is_closed(client) -> bool:
    response = client.get("/account/signup/")
    assert response.status_code == 200
    return SIGNUP_CLOSED_TEMPLATE in [t.name for t in response.templates]


# --- uploads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (FlagId.READ_ONLY, "Read-only mode: Uploads are temporarily disabled."),
        (FlagId.DISALLOW_NEW_UPLOAD, "New uploads are temporarily disabled."),
    ],
)
def test_flag_refuses_uploads_to_an_existing_project_and_lifts(upload, flag, message):
    assert upload(version="1.0").status_code == 200
    set_flag(flag, True)

    assert_refused(upload(version="2.0"), message)
    assert_refused(upload("brand-new", "1.0"), message)
    assert File.objects.count() == 1

    set_flag(flag, False)
    assert upload(version="2.0").status_code == 200
    assert upload("brand-new", "1.0").status_code == 200


def test_disallow_new_project_refuses_only_new_projects_and_lifts(upload):
    assert upload(version="1.0").status_code == 200
    set_flag(FlagId.DISALLOW_NEW_PROJECT, True)

    assert_refused(upload("brand-new", "1.0"), "New project registration temporarily disabled.")
    assert not Project.objects.filter(normalized_name="brand-new").exists()
    assert upload(version="2.0").status_code == 200  # existing projects still take uploads

    set_flag(FlagId.DISALLOW_NEW_PROJECT, False)
    assert upload("brand-new", "1.0").status_code == 200


def test_disallow_new_user_does_not_touch_uploads(upload):
    set_flag(FlagId.DISALLOW_NEW_USER, True)
    assert upload().status_code == 200


# --- sign-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [FlagId.DISALLOW_NEW_USER, FlagId.READ_ONLY])
def test_flag_closes_signup_and_lifts(client, flag):
    assert not signup_is_closed(client)
    set_flag(flag, True)
    assert signup_is_closed(client)
    set_flag(flag, False)
    assert not signup_is_closed(client)


@pytest.mark.parametrize("flag", [FlagId.DISALLOW_NEW_UPLOAD, FlagId.DISALLOW_NEW_PROJECT])
def test_upload_flags_leave_signup_open(client, flag):
    set_flag(flag, True)
    assert not signup_is_closed(client)


def test_closed_signup_refuses_a_posted_form(client):
    from cheeseshop.accounts.models import User

    set_flag(FlagId.DISALLOW_NEW_USER, True)
    client.post(
        "/account/signup/",
        {
            "email": "new@example.com",
            "username": "newcomer",
            "password1": "a-Long-pa55phrase-here",
            "password2": "a-Long-pa55phrase-here",
        },
    )
    assert not User.objects.filter(username="newcomer").exists()


# --- banners ------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", list(FlagId))
def test_banner_shows_on_the_home_page_while_enabled_with_notify(client, flag):
    set_flag(flag, True, notify=True)
    assert str(FlagId(flag).label) in client.get("/").content.decode()

    set_flag(flag, False, notify=True)
    assert str(FlagId(flag).label) not in client.get("/").content.decode()


def test_banner_is_hidden_when_notify_is_off(client):
    set_flag(FlagId.READ_ONLY, True, notify=False)
    response = client.get("/")
    assert str(FlagId.READ_ONLY.label) not in response.content.decode()
    assert 'class="banner' not in response.content.decode()


def test_banner_shows_the_custom_message_instead_of_the_default(client):
    set_flag(FlagId.DISALLOW_NEW_UPLOAD, True, message="Back at 18:00 UTC after maintenance.")
    content = client.get("/").content.decode()
    assert "Back at 18:00 UTC after maintenance." in content
    assert str(FlagId.DISALLOW_NEW_UPLOAD.label) not in content


# --- management pages ---------------------------------------------------------------------------


def test_read_only_refuses_management_changes_and_lifts(client, user, upload):
    assert upload().status_code == 200
    client.force_login(user)
    yank = "/manage/project/example-pkg/release/1.0/yank/"
    set_flag(FlagId.READ_ONLY, True)

    refused = client.post(yank, {"reason": "broken"})

    assert refused.status_code == 403
    assert "Read-only mode" in refused.content.decode()
    assert not Release.objects.get().yanked
    assert (
        client.get("/manage/project/example-pkg/releases/").status_code == 200
    )  # reading is fine

    set_flag(FlagId.READ_ONLY, False)
    assert client.post(yank, {"reason": "broken"}).status_code == 302
    assert Release.objects.get().yanked


@pytest.mark.parametrize(
    "flag", [FlagId.DISALLOW_NEW_UPLOAD, FlagId.DISALLOW_NEW_PROJECT, FlagId.DISALLOW_NEW_USER]
)
def test_other_flags_leave_management_changes_alone(client, user, upload, flag):
    assert upload().status_code == 200
    client.force_login(user)
    set_flag(flag, True)
    response = client.post("/manage/project/example-pkg/release/1.0/yank/", {"reason": "x"})
    assert response.status_code == 302
    assert Release.objects.get().yanked
