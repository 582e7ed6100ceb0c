"""Every page of the site, as the accessibility test visits it: who looks at it (a role), where
(a path, filled in from what the seeding made), and how to get there when a form must be
submitted first. What the test does not visit is listed in ``EXCLUDED`` with the reason.

``test_page_list.py`` holds the two together against the site's URL patterns: a new page that is
in neither fails it.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from tests.a11y.seed import PASSWORD, PROJECT

ANONYMOUS = "anonymous"
OWNER = "owner"  # olivia: owns the project, has an authenticator app
NEWCOMER = "newcomer"  # nadia: no second factor yet
STAFF = "staff"  # root: superuser with an authenticator app
ROLES = (ANONYMOUS, OWNER, NEWCOMER, STAFF)
# The route of the page answering an address no pattern matches.
NOT_FOUND = "(no route: the 404 page)"


@dataclass(frozen=True)
class Page:
    """One view of one page. ``path`` may name seeded facts: ``{verdict}``. ``reach`` (a
    Playwright page, the site's address, the facts) gets there another way than by URL, such
    as a failed form; it starts from ``path``."""

    name: str
    role: str
    route: str
    path: str
    reach: Callable | None = field(default=None, compare=False)
    # The HTTP status the page answers with when opened by its address.
    status: int = 200
    # Whether it leaves the browser's session changed (half logged in, say): then it gets a
    # browser context of its own.
    own_context: bool = False

    def url(self, facts: dict) -> str:
        return self.path.format(**facts)


def walk_routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every URL pattern, spelled as its route strings joined (``manage/project/<str:name>/``,
    regular expressions as written)."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk_routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


# Forms submitted on the way to a page.


def _submit_empty(form_selector: str) -> Callable:
    def reach(page, site, facts):
        page.locator(f"{form_selector} [type=submit]").first.click()
        page.wait_for_load_state("load")

    return reach


def _sign_up_with_errors(page, site, facts):
    form = page.locator("form[action$='/account/signup/']")
    form.locator("input[name=email]").fill("not-an-address")
    form.locator("input[name=username]").fill("olivia")
    form.locator("input[name=password1]").fill("short")
    form.locator("input[name=password2]").fill("different")
    form.locator("[type=submit]").first.click()
    page.wait_for_load_state("load")


def _create_a_token(page, site, facts):
    form = page.locator("main form[method=post]").first
    # Descriptions of active tokens must differ; each visit makes one more.
    form.locator("input[name=description]").fill(f"laptop {uuid.uuid4().hex[:8]}")
    form.locator("input[name=scope]").first.check()
    form.locator("[type=submit]").first.click()
    page.wait_for_url("**/tokens/new/created/")


def _log_in_up_to_the_second_factor(page, site, facts):
    form = page.locator("form[action$='/account/login/']")
    form.locator("input[name=login]").fill("olivia")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password]").press("Enter")
    page.wait_for_url("**/account/2fa/authenticate/")


def _admin_action(action: str) -> Callable:
    """Tick the first row of a changelist and ask for ``action``: its confirmation page."""

    def reach(page, site, facts):
        page.locator("#result_list input.action-select").first.check()
        page.locator("select[name=action]").select_option(action)
        page.locator(
            "#changelist-form button[name=index], #changelist-form [type=submit]"
        ).first.click()
        page.wait_for_load_state("load")

    return reach


_P = f"/project/{PROJECT}"
_M = f"/manage/project/{PROJECT}"

SITE_PAGES = [
    # Anyone.
    Page("home", ANONYMOUS, "", "/"),
    Page("search results", ANONYMOUS, "search/", "/search/?q=cheddar"),
    Page("search without results", ANONYMOUS, "search/", "/search/?q=camembert"),
    Page(
        "search for a long term",
        ANONYMOUS,
        "search/",
        "/search/?q=" + "extraordinarilylongsearchtermwithoutanyspaces" * 3,
    ),
    Page("project", ANONYMOUS, "project/<str:name>/", f"{_P}/"),
    Page("release", ANONYMOUS, "project/<str:name>/<str:version>/", f"{_P}/1.1/"),
    Page("yanked release", ANONYMOUS, "project/<str:name>/<str:version>/", f"{_P}/1.0/"),
    Page("user profile", ANONYMOUS, "user/<str:username>/", "/user/olivia/"),
    Page("not found", ANONYMOUS, NOT_FOUND, "/no/such/page/", status=404),
    Page("log in", ANONYMOUS, "account/login/", "/account/login/"),
    Page(
        "two-factor step of logging in",
        ANONYMOUS,
        "account/2fa/authenticate/",
        "/account/login/",
        reach=_log_in_up_to_the_second_factor,
        own_context=True,
    ),
    Page("sign up", ANONYMOUS, "account/signup/", "/account/signup/"),
    Page(
        "sign up with errors",
        ANONYMOUS,
        "account/signup/",
        "/account/signup/",
        reach=_sign_up_with_errors,
    ),
    Page("password reset", ANONYMOUS, "account/password/reset/", "/account/password/reset/"),
    Page(
        "password reset sent",
        ANONYMOUS,
        "account/password/reset/done/",
        "/account/password/reset/done/",
    ),
    Page(
        "new password from the emailed link",
        ANONYMOUS,
        r"account/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        "{reset_password_path}",
    ),
    Page(
        "new password set",
        ANONYMOUS,
        "account/password/reset/key/done/",
        "/account/password/reset/key/done/",
    ),
    Page(
        "confirm an email address",
        ANONYMOUS,
        r"account/^confirm-email/(?P<key>[-:\w]+)/$",
        "{confirm_email_path}",
    ),
    Page(
        "confirmation email sent", ANONYMOUS, "account/confirm-email/", "/account/confirm-email/"
    ),
    Page("inactive account", ANONYMOUS, "account/inactive/", "/account/inactive/"),
    # The owner, logged in with their second factor.
    Page("your projects", OWNER, "manage/projects/", "/manage/projects/"),
    Page("project settings", OWNER, "manage/project/<str:name>/settings/", f"{_M}/settings/"),
    Page("manage releases", OWNER, "manage/project/<str:name>/releases/", f"{_M}/releases/"),
    Page(
        "manage a release",
        OWNER,
        "manage/project/<str:name>/release/<str:version>/",
        f"{_M}/release/1.1/",
    ),
    Page(
        "manage a yanked release",
        OWNER,
        "manage/project/<str:name>/release/<str:version>/",
        f"{_M}/release/1.0/",
    ),
    Page(
        "collaboration",
        OWNER,
        "manage/project/<str:name>/collaboration/",
        f"{_M}/collaboration/",
    ),
    Page("project history", OWNER, "manage/project/<str:name>/history/", f"{_M}/history/"),
    Page("account settings", OWNER, "manage/account/", "/manage/account/"),
    Page("email addresses", OWNER, "account/email/", "/account/email/"),
    Page("change password", OWNER, "account/password/change/", "/account/password/change/"),
    Page(
        "notification settings",
        OWNER,
        "manage/account/notifications/",
        "/manage/account/notifications/",
    ),
    Page("language", OWNER, "manage/account/language/", "/manage/account/language/"),
    Page("security history", OWNER, "manage/account/history/", "/manage/account/history/"),
    Page("API tokens", OWNER, "manage/account/tokens/", "/manage/account/tokens/"),
    Page("new API token", OWNER, "manage/account/tokens/new/", "/manage/account/tokens/new/"),
    Page(
        "new API token with errors",
        OWNER,
        "manage/account/tokens/new/",
        "/manage/account/tokens/new/",
        reach=_submit_empty("main form[method=post]"),
    ),
    Page(
        "API token created",
        OWNER,
        "manage/account/tokens/new/created/",
        "/manage/account/tokens/new/",
        reach=_create_a_token,
    ),
    Page(
        "API token already shown",
        OWNER,
        "manage/account/tokens/new/created/",
        "/manage/account/tokens/new/created/",
    ),
    Page("two-factor", OWNER, "account/2fa/", "/account/2fa/"),
    Page("recovery codes", OWNER, "account/2fa/recovery-codes/", "/account/2fa/recovery-codes/"),
    Page(
        "new recovery codes",
        OWNER,
        "account/2fa/recovery-codes/generate/",
        "/account/2fa/recovery-codes/generate/",
    ),
    Page("security keys", OWNER, "account/2fa/webauthn/", "/account/2fa/webauthn/"),
    Page("add a security key", OWNER, "account/2fa/webauthn/add/", "/account/2fa/webauthn/add/"),
    Page(
        "turn off the authenticator app",
        OWNER,
        "account/2fa/totp/deactivate/",
        "/account/2fa/totp/deactivate/",
    ),
    Page(
        "confirm it's you (password)",
        OWNER,
        "account/reauthenticate/",
        "/account/reauthenticate/",
    ),
    Page(
        "confirm it's you (second factor)",
        OWNER,
        "account/2fa/reauthenticate/",
        "/account/2fa/reauthenticate/",
    ),
    Page("log out", OWNER, "account/logout/", "/account/logout/"),
    # A user without a second factor, setting one up.
    Page("two-factor, none yet", NEWCOMER, "account/2fa/", "/account/2fa/"),
    Page(
        "set up an authenticator app",
        NEWCOMER,
        "account/2fa/totp/activate/",
        "/account/2fa/totp/activate/",
    ),
    Page(
        "two-factor required",
        NEWCOMER,
        "account/2fa/required/",
        "/account/2fa/required/",
        status=403,  # a refusal, explained
    ),
    Page("your projects, none yet", NEWCOMER, "manage/projects/", "/manage/projects/"),
]

# Django admin: the index, the custom views, and per registered model below (admin_pages()).
ADMIN_VIEWS = [
    Page("admin home", STAFF, "admin/", "/admin/"),
    Page("admin audit log", STAFF, "admin/audit/event/log/", "/admin/audit/event/log/"),
    Page(
        "admin set a user's password",
        STAFF,
        "admin/accounts/user/<id>/password/",
        "/admin/accounts/user/{accounts_user}/password/",
    ),
    Page(
        "admin remove a flagged project",
        STAFF,
        "admin/malware/verdict/<int:pk>/remove/",
        "/admin/malware/verdict/{verdict}/remove/",
    ),
    Page(
        "admin search results",
        STAFF,
        "admin/accounts/user/",
        "/admin/accounts/user/?q=olivia",
    ),
    Page(
        "admin reset two-factor",
        STAFF,
        "admin/accounts/user/",
        "/admin/accounts/user/?q=olivia",
        reach=_admin_action("reset_two_factor"),
    ),
    Page(
        "admin remove projects",
        STAFF,
        "admin/packaging/project/",
        "/admin/packaging/project/",
        reach=_admin_action("remove_projects"),
    ),
]


def admin_pages() -> list[Page]:
    """Per registered model: its list, its add form where adding is allowed, and one row's
    change form and history (``{app.model}`` is a seeded row's key; models without rows are
    left out at run time)."""
    from django.contrib import admin
    from django.test import RequestFactory

    from cheeseshop.accounts.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_staff=True, is_superuser=True, is_active=True)
    [app_list] = [url for url in admin.site.get_urls() if getattr(url, "name", None) == "app_list"]
    pages = [Page("admin app", STAFF, f"admin/{app_list.pattern}", "/admin/packaging/")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        base = f"admin/{meta.app_label}/{meta.model_name}/"
        label = meta.label_lower
        key = admin_object_key(model)
        pages.append(Page(f"admin {label} list", STAFF, base, f"/{base}"))
        if model_admin.has_add_permission(request):
            pages.append(Page(f"admin {label} add", STAFF, f"{base}add/", f"/{base}add/"))
        pages.append(
            Page(
                f"admin {label} change",
                STAFF,
                f"{base}<path:object_id>/change/",
                f"/{base}{{{key}}}/change/",
            )
        )
        if model_admin.has_delete_permission(request):
            pages.append(
                Page(
                    f"admin {label} delete",
                    STAFF,
                    f"{base}<path:object_id>/delete/",
                    f"/{base}{{{key}}}/delete/",
                )
            )
        pages.append(
            Page(
                f"admin {label} history",
                STAFF,
                f"{base}<path:object_id>/history/",
                f"/{base}{{{key}}}/history/",
            )
        )
    return pages


def admin_object_key(model) -> str:
    """The name under which the seeded facts hold the key of one of ``model``'s rows."""
    return model._meta.label_lower.replace(".", "_")


def all_pages() -> list[Page]:
    return [*SITE_PAGES, *ADMIN_VIEWS, *admin_pages()]


# Routes the test does not browse, and why. (A route here may also be browsed: listing it here
# is then a mistake the coverage test reports.)
EXCLUDED = {
    "legacy": "upload API endpoint for twine (redirects to legacy/)",
    "legacy/": "upload API endpoint for twine (POST, no page)",
    "tuf/timestamp.json": "TUF metadata (JSON for installers)",
    r"^tuf/(?P<name>[^/]+\.json)$": "TUF metadata (JSON for installers)",
    r"^packages/(?P<directory>(?:[^/]+/)+)(?P<digest>[0-9a-f]{64})\.(?P<filename>[^/]+)$": (
        "file download (TUF hash-prefixed)"
    ),
    r"^simple/(?P<name>[^/]+)/(?P<digest>[0-9a-f]{64})\.vnd\.pypi\.simple\.v1\.(?P<kind>json|html)$": (  # noqa: E501
        "TUF-pinned copy of a simple page (for installers)"
    ),
    "simple/": "PEP 503/691 index for installers: HTML whose content the standard fixes, "
    "served to pip and uv rather than to people",
    "simple/<str:name>/": "PEP 503/691 project index for installers (see simple/)",
    "pypi/<str:name>/json": "JSON API",
    "pypi/<str:name>/json/": "JSON API",
    "pypi/<str:name>/<str:version>/json": "JSON API",
    "pypi/<str:name>/<str:version>/json/": "JSON API",
    "packages/<path:path>": "file download",
    "api/tokens/": "JSON API (minting tokens)",
    "_/secrets/disclose-token": "token-leak reports from secret scanners (POST, JSON)",
    "_/github/disclose-token": "token-leak reports from secret scanners (POST, JSON)",
    "_/health": "health check for load balancers",
    "_/ready": "readiness check for load balancers",
    "_/metrics": "Prometheus metrics",
    "manage/account/tokens/<uuid:token_id>/revoke/": "POST-only action",
    "manage/invitations/<int:invitation_id>/accept/": "POST-only action",
    "manage/invitations/<int:invitation_id>/decline/": "POST-only action",
    "manage/project/<str:name>/": "the project settings view under a shorter address",
    "manage/project/<str:name>/delete/": "POST-only action (its form is on the settings page)",
    "manage/project/<str:name>/collaboration/invite/": "POST-only action",
    "manage/project/<str:name>/collaboration/roles/<int:role_id>/change/": "POST-only action",
    "manage/project/<str:name>/collaboration/roles/<int:role_id>/remove/": "POST-only action",
    "manage/project/<str:name>/collaboration/invitations/<int:invitation_id>/revoke/": (
        "POST-only action"
    ),
    "manage/project/<str:name>/release/<str:version>/yank/": "POST-only action",
    "manage/project/<str:name>/release/<str:version>/unyank/": "POST-only action",
    "manage/project/<str:name>/release/<str:version>/delete/": "POST-only action",
    "manage/project/<str:name>/release/<str:version>/files/<int:file_id>/delete/": (
        "POST-only action"
    ),
    "account/2fa/recovery-codes/download/": "file download (the codes as text)",
    "account/2fa/webauthn/keys/<int:pk>/remove/": (
        "needs a registered security key; registering one takes a WebAuthn ceremony "
        "(test_webauthn_browser.py)"
    ),
    "account/2fa/webauthn/keys/<int:pk>/edit/": (
        "needs a registered security key (see account/2fa/webauthn/keys/<int:pk>/remove/)"
    ),
    "account/2fa/webauthn/reauthenticate/": "asks a registered security key (see above)",
    "account/2fa/webauthn/login/": "JSON endpoint of the passkey login (POST)",
    "account/password/set/": "redirects to password change: every user here has a password",
    "account/reauthenticate/code/": "login and reauthentication by emailed code are off",
    "account/reauthenticate/code/confirm/": "login and reauthentication by emailed code are off",
    "account/login/code/confirm/": "login by emailed code is off",
    "i18n/setlang/": "POST-only action (the language switcher's form)",
    "admin/login/": "redirects to the site's login page",
    "admin/logout/": "POST-only action",
    "admin/password_change/": "redirects to the site's password change page (browsed)",
    "admin/password_change/done/": "admin password changed notice: needs a password change, "
    "which ends the staff session the test relies on",
    "admin/autocomplete/": "JSON endpoint",
    "admin/jsi18n/": "JavaScript catalogue",
    "admin/r/<path:content_type_id>/<path:object_id>/": "redirect (view on site)",
    "admin/audit/event/log/export.csv": "file download",
    "admin/audit/event/log/export.jsonl": "file download",
    "admin/malware/verdict/<int:pk>/review/": "POST-only action",
    "admin/malware/verdict/<int:pk>/quarantine/": "POST-only action",
    "admin/malware/verdict/<int:pk>/lift/": "POST-only action",
    "admin/malware/check/<int:pk>/state/": "POST-only action",
    "admin/malware/check/<int:pk>/run/": "POST-only action",
    "admin/(?P<url>.*)$": "catch-all that redirects or answers 404",
}

# Per registered model, Django admin routes that are not pages of their own.
ADMIN_MODEL_EXCLUDED = {
    "<path:object_id>/": "redirects to the change form",
}
# For models whose admin refuses them (view-only models): they answer 403.
ADMIN_MODEL_REFUSED = {
    "add/": "adding is not allowed",
    "<path:object_id>/delete/": "deleting is not allowed",
}
