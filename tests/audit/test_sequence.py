"""The scripted sequence: about thirty actions across cheeseshop's features, each through the
entry point people use (browser pages, /legacy/ uploads with a token, the admin, the services
the CLI calls), yield exactly the expected audit events, in order, each with its actor, its
credential, the hashed IP address and the user agent of the request that caused it.

Every client has its own address and user agent, so each event names where it came from.
"""

import re
from dataclasses import dataclass

import pytest
from django.test import Client

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.chain import verify_chain
from cheeseshop.audit.models import Event
from cheeseshop.audit.services import CLI, hash_ip
from cheeseshop.flags.models import FlagId
from cheeseshop.packaging.models import File, Project, Release, Role, RoleInvitation
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import issue_token, revoke_token
from tests.packaging.dists import make_sdist, make_wheel
from tests.upload.conftest import basic_auth, upload_form

pytestmark = pytest.mark.django_db

PASSWORD = "a-Strong-passphrase-for-the-sequence-42"
NEW_PASSWORD = "violet tugboat glacier pancake 7"
TOKEN_PATTERN = re.compile(r"pypi-[A-Za-z0-9_\-]{40,}")

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)
TWINE = "twine/7.0.0 CPython/3.11.7"
UV_PUBLISH = (
    'uv/0.13.9 {"installer":{"name":"uv","version":"0.13.9","subcommand":["publish"]},'
    '"python":null,"implementation":{"name":null,"version":null},"distro":null,'
    '"system":{"name":null,"release":null},"cpu":null,"openssl_version":null,'
    '"setuptools_version":null,"rustc_version":null,"ci":null}'
)
CURL = "curl/7.88.1"


@dataclass(frozen=True)
class Origin:
    """Where requests come from: one address and one user agent."""

    name: str
    ip: str
    user_agent: str

    def client(self) -> Client:
        return Client(REMOTE_ADDR=self.ip, HTTP_USER_AGENT=self.user_agent)


ORIGINS = [
    ALICE_BROWSER := Origin("alice-browser", "198.51.100.10", FIREFOX),
    ALICE_TWINE := Origin("alice-twine", "198.51.100.11", TWINE),
    BOB_BROWSER := Origin("bob-browser", "203.0.113.20", CHROME),
    BOB_UV := Origin("bob-uv", "203.0.113.21", UV_PUBLISH),
    STAFF_BROWSER := Origin("staff-browser", "192.0.2.30", SAFARI),
    GUESSER := Origin("guesser", "192.0.2.99", CURL),
]
NO_REQUEST = "-"  # an event recorded without a request (the CLI's services)


def origin_of(event: Event) -> str:
    """The origin whose address and user agent the event carries; both must agree."""
    if not event.ip_hash and not event.user_agent:
        return NO_REQUEST
    by_ip = {hash_ip(origin.ip): origin.name for origin in ORIGINS}.get(event.ip_hash)
    by_agent = {origin.user_agent: origin.name for origin in ORIGINS}.get(event.user_agent)
    assert by_ip == by_agent, (event.tag, by_ip, by_agent)
    return by_ip


class Trail:
    """Reads the events recorded since the last look, in chain order."""

    def __init__(self) -> None:
        self.seen = 0
        self.all: list[tuple] = []

    def new(self) -> list[tuple]:
        events = list(Event.objects.filter(sequence__gt=self.seen).order_by("sequence"))
        if events:
            self.seen = events[-1].sequence
        rows = [
            (
                event.tag,
                event.actor.username if event.actor_id else None,
                event.credential.get("method"),
                origin_of(event),
            )
            for event in events
        ]
        self.all.extend(rows)
        return rows


def log_in(origin: Origin, username: str, password: str = PASSWORD) -> Client:
    client = origin.client()
    response = client.post("/account/login/", {"login": username, "password": password})
    assert response.status_code == 302, response.content.decode()
    return client


def create_token_on_the_web(client: Client, **form) -> str:
    fields = {"description": "laptop", "scope": "account", "expires": "", **form}
    response = client.post("/manage/account/tokens/new/", fields)
    assert response.status_code == 302, response.content.decode()
    page = client.get("/manage/account/tokens/new/created/").content.decode()
    return TOKEN_PATTERN.search(page).group(0)


def upload(origin: Origin, token: str, path, name: str, version: str) -> None:
    response = origin.client().post(
        "/legacy/", upload_form(path, name, version), headers={"Authorization": basic_auth(token)}
    )
    assert response.status_code == 200, response.content.decode()


def ok(response, status: int = 302) -> None:
    assert response.status_code == status, response.content.decode()[:2000]


def admin_action(client: Client, changelist: str, action: str, ids) -> None:
    data = {"action": action, "_selected_action": [str(i) for i in ids], "index": "0"}
    ok(client.post(changelist, {**data, "post": "yes"}))


def test_thirty_actions_yield_exactly_the_expected_events(
    tmp_path, django_capture_on_commit_callbacks
):
    alice = create_user("alice", "alice@example.com", password=PASSWORD)
    bob = create_user("bob", "bob@example.com", password=PASSWORD)
    create_user("carol", "carol@example.com", password=PASSWORD)
    staff = create_user("staffer", "staff@example.com", password=PASSWORD, admin=True)
    trail = Trail()
    assert trail.new() == []  # creating users through the service records nothing by itself

    # 1. Someone guesses bob's password.
    guesser = GUESSER.client()
    ok(guesser.post("/account/login/", {"login": "bob", "password": "guess"}), 200)
    assert trail.new() == [("account:login:failure", None, "password", "guesser")]
    assert Event.objects.get(tag="account:login:failure").user == bob

    # 2. Alice logs in.
    alice_web = log_in(ALICE_BROWSER, "alice")
    assert trail.new() == [("account:login:success", "alice", "password", "alice-browser")]
    assert Event.objects.get(tag="account:login:success").user_agent_info == {
        "browser": {"name": "Firefox", "version": "133.0"},
        "os": {"name": "Linux"},
    }

    # 3. Alice creates an API token on the web.
    alice_token = create_token_on_the_web(alice_web)
    assert trail.new() == [("account:api_token:added", "alice", "session", "alice-browser")]
    alice_token_id = str(APIToken.objects.get(user=alice).id)

    # 4. twine uploads a wheel of a new project with that token.
    upload(ALICE_TWINE, alice_token, make_wheel(tmp_path, "cheddar", "1.0"), "cheddar", "1.0")
    assert trail.new() == [
        ("project:create", "alice", "token", "alice-twine"),
        ("project:role:add", "alice", "token", "alice-twine"),
        ("account:role:add", "alice", "token", "alice-twine"),
        ("project:release:add", "alice", "token", "alice-twine"),
        ("file:add", "alice", "token", "alice-twine"),
    ]
    file_added = Event.objects.filter(tag="file:add").last()
    assert file_added.credential["token_id"] == alice_token_id
    assert file_added.user_agent_info["installer"] == {"name": "twine", "version": "7.0.0"}
    project = Project.objects.get(normalized_name="cheddar")

    # 5. ... and its sdist.
    upload(ALICE_TWINE, alice_token, make_sdist(tmp_path, "cheddar", "1.0"), "cheddar", "1.0")
    assert trail.new() == [("file:add", "alice", "token", "alice-twine")]

    # 6. ... and a second release.
    upload(ALICE_TWINE, alice_token, make_wheel(tmp_path, "cheddar", "2.0"), "cheddar", "2.0")
    assert trail.new() == [
        ("project:release:add", "alice", "token", "alice-twine"),
        ("file:add", "alice", "token", "alice-twine"),
    ]

    # 7. Alice invites bob as a Maintainer.
    collaboration = "/manage/project/cheddar/collaboration/"
    ok(alice_web.post(collaboration + "invite/", {"username": "bob", "role_name": "Maintainer"}))
    assert trail.new() == [
        ("project:role:invite", "alice", "session", "alice-browser"),
        ("account:role:invite", "alice", "session", "alice-browser"),
    ]

    # 8. Bob logs in and 9. accepts.
    bob_web = log_in(BOB_BROWSER, "bob")
    invitation = RoleInvitation.objects.get(user=bob)
    ok(bob_web.post(f"/manage/invitations/{invitation.pk}/accept/"))
    assert trail.new() == [
        ("account:login:success", "bob", "password", "bob-browser"),
        ("project:role:add", "bob", "session", "bob-browser"),
        ("account:role:add", "bob", "session", "bob-browser"),
    ]

    # 10. Alice makes bob an Owner.
    bob_role = Role.objects.get(user=bob, project=project)
    ok(alice_web.post(f"{collaboration}roles/{bob_role.pk}/change/", {"role_name": "Owner"}))
    assert trail.new() == [
        ("project:role:change", "alice", "session", "alice-browser"),
        ("account:role:change", "alice", "session", "alice-browser"),
    ]
    assert Event.objects.filter(tag="account:role:change").get().user == bob

    # 11. Alice yanks 1.0, 12. un-yanks it, 13. deletes its sdist.
    release_url = "/manage/project/cheddar/release/1.0/"
    ok(alice_web.post(release_url + "yank/", {"reason": "broken on Windows"}))
    ok(alice_web.post(release_url + "unyank/"))
    sdist = File.objects.get(filename="cheddar-1.0.tar.gz")
    with django_capture_on_commit_callbacks(execute=True):
        ok(
            alice_web.post(
                f"{release_url}files/{sdist.pk}/delete/", {"confirm_filename": sdist.filename}
            )
        )
    assert trail.new() == [
        ("project:release:yank", "alice", "session", "alice-browser"),
        ("project:release:unyank", "alice", "session", "alice-browser"),
        ("file:remove", "alice", "session", "alice-browser"),
    ]

    # 14. Alice revokes her token on the web.
    ok(alice_web.post(f"/manage/account/tokens/{alice_token_id}/revoke/"))
    assert trail.new() == [("account:api_token:removed", "alice", "session", "alice-browser")]

    # 15. An operator gives bob a token for the project with the CLI's service.
    bob_token_row, bob_token = issue_token(
        bob, description="release bot", project_names=["cheddar"], credential=CLI
    )
    assert trail.new() == [
        ("account:api_token:added", None, "cli", NO_REQUEST),
        ("project:api_token:added", None, "cli", NO_REQUEST),
    ]

    # 16. uv publishes a third release with bob's token.
    upload(BOB_UV, bob_token, make_wheel(tmp_path, "cheddar", "3.0"), "cheddar", "3.0")
    assert trail.new() == [
        ("project:release:add", "bob", "token", "bob-uv"),
        ("file:add", "bob", "token", "bob-uv"),
    ]
    assert Event.objects.filter(tag="file:add").last().credential == {
        "method": "token",
        "token_id": str(bob_token_row.id),
        "description": "release bot",
    }

    # 17. Alice invites carol, then 18. revokes the invitation.
    ok(alice_web.post(collaboration + "invite/", {"username": "carol", "role_name": "Owner"}))
    carol_invitation = RoleInvitation.objects.get(user__username="carol")
    ok(alice_web.post(f"{collaboration}invitations/{carol_invitation.pk}/revoke/"))
    assert trail.new() == [
        ("project:role:invite", "alice", "session", "alice-browser"),
        ("account:role:invite", "alice", "session", "alice-browser"),
        ("project:role:revoke_invite", "alice", "session", "alice-browser"),
        ("account:role:revoke_invite", "alice", "session", "alice-browser"),
    ]

    # 19. Alice adds an email address, 20. changes her password, which ends her sessions.
    ok(alice_web.post("/account/email/", {"action_add": "", "email": "alice@work.example"}))
    ok(
        alice_web.post(
            "/account/password/change/",
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    )
    assert trail.new() == [
        ("account:email:add", "alice", "session", "alice-browser"),
        ("account:logout", "alice", "session", "alice-browser"),
        ("account:password:change", "alice", "session", "alice-browser"),
    ]

    # 21. Staff logs in; in the admin 22. deletes release 2.0, 23. freezes and 24. unfreezes
    # bob, 25. switches new uploads off, 26. prohibits a name.
    staff_web = log_in(STAFF_BROWSER, "staffer")
    release_two = Release.objects.get(project=project, version="2.0")
    with django_capture_on_commit_callbacks(execute=True):
        admin_action(staff_web, "/admin/packaging/release/", "remove_releases", [release_two.pk])
    admin_action(staff_web, "/admin/accounts/user/", "freeze", [bob.pk])
    admin_action(staff_web, "/admin/accounts/user/", "unfreeze", [bob.pk])
    flag_url = f"/admin/flags/adminflag/{FlagId.DISALLOW_NEW_UPLOAD.value}/change/"
    ok(staff_web.post(flag_url, {"enabled": "on", "notify": "on", "message": ""}))
    ok(staff_web.post("/admin/packaging/prohibitedprojectname/add/", {"name": "brie"}))
    assert trail.new() == [
        ("account:login:success", "staffer", "password", "staff-browser"),
        ("project:release:remove", "staffer", "admin", "staff-browser"),
        ("admin:release:remove", "staffer", "admin", "staff-browser"),
        ("admin:user:freeze", "staffer", "admin", "staff-browser"),
        ("admin:user:unfreeze", "staffer", "admin", "staff-browser"),
        ("admin:flag:change", "staffer", "admin", "staff-browser"),
        ("admin:prohibited_name:add", "staffer", "admin", "staff-browser"),
    ]

    # 27. Bob (an Owner now) removes alice from the project.
    alice_role = Role.objects.get(user=alice, project=project)
    bob_web = log_in(BOB_BROWSER, "bob")  # the freeze ended bob's sessions
    ok(bob_web.post(f"{collaboration}roles/{alice_role.pk}/remove/"))
    assert trail.new() == [
        ("account:login:success", "bob", "password", "bob-browser"),
        ("project:role:remove", "bob", "session", "bob-browser"),
        ("account:role:remove", "bob", "session", "bob-browser"),
    ]
    assert Event.objects.filter(tag="account:role:remove").get().user == alice

    # 28. The operator revokes bob's token with the CLI's service.
    revoke_token(bob_token_row, actor=None, credential=CLI)
    assert trail.new() == [
        ("account:api_token:removed", None, "cli", NO_REQUEST),
        ("project:api_token:removed", None, "cli", NO_REQUEST),
    ]

    # 29. Bob deletes the project; 30. alice logs in with her new password and logs out.
    with django_capture_on_commit_callbacks(execute=True):
        ok(bob_web.post("/manage/project/cheddar/delete/", {"confirm_project_name": "cheddar"}))
    alice_web = log_in(ALICE_BROWSER, "alice", NEW_PASSWORD)
    ok(alice_web.post("/account/logout/"))
    assert trail.new() == [
        ("project:remove", "bob", "session", "bob-browser"),
        ("account:login:success", "alice", "password", "alice-browser"),
        ("account:logout", "alice", "session", "alice-browser"),
    ]

    # The whole trail, in order, and its chain.
    assert [row[0] for row in trail.all] == [
        "account:login:failure",
        "account:login:success",
        "account:api_token:added",
        "project:create",
        "project:role:add",
        "account:role:add",
        "project:release:add",
        "file:add",
        "file:add",
        "project:release:add",
        "file:add",
        "project:role:invite",
        "account:role:invite",
        "account:login:success",
        "project:role:add",
        "account:role:add",
        "project:role:change",
        "account:role:change",
        "project:release:yank",
        "project:release:unyank",
        "file:remove",
        "account:api_token:removed",
        "account:api_token:added",
        "project:api_token:added",
        "project:release:add",
        "file:add",
        "project:role:invite",
        "account:role:invite",
        "project:role:revoke_invite",
        "account:role:revoke_invite",
        "account:email:add",
        "account:logout",
        "account:password:change",
        "account:login:success",
        "project:release:remove",
        "admin:release:remove",
        "admin:user:freeze",
        "admin:user:unfreeze",
        "admin:flag:change",
        "admin:prohibited_name:add",
        "account:login:success",
        "project:role:remove",
        "account:role:remove",
        "account:api_token:removed",
        "project:api_token:removed",
        "project:remove",
        "account:login:success",
        "account:logout",
    ]
    assert [event.sequence for event in Event.objects.order_by("id")] == list(range(1, 49))
    result = verify_chain()
    assert result.intact, result.broken
    assert result.count == 48
    # The project's events outlive it; the staff member's user is named by id.
    assert Event.objects.filter(project_id=project.pk).count() == 23
    assert Event.objects.filter(actor=staff).count() == 7
