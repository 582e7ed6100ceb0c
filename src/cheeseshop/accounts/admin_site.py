"""The admin site: entered only through the site's own login, and only by a session that proved
the second factor when its user has one (or must have one).

Django's admin has a login form of its own, which checks a password and nothing else: no second
factor, no login limits. Here that form is gone: /admin/login/ sends to the site's login
(allauth: password, second factor, limits) and back. Whether a session may use the admin is
decided on how *that session* logged in (allauth's records of its authentication steps), never
on whether the user has a second factor enrolled: a session opened with a password alone stays
outside the admin once its user enrols one.
"""

import enum

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _

from cheeseshop.accounts.access import refused
from cheeseshop.accounts.services import has_two_factor
from cheeseshop.accounts.two_factor import manage_requires_two_factor


def passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session's user proved a second factor in this session (at login, with a
    passkey, or re-authenticating with one)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def logged_in_through_the_site(request: HttpRequest) -> bool:
    """Whether this session was opened by the site's login (allauth records every step)."""
    return bool(get_authentication_records(request, request.user))


def _next_path(request: HttpRequest) -> str:
    """Where to go once allowed: the ``next`` asked for when it is on this site, else the
    admin's index."""
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("admin:index")


def _with_next(view_name: str, next_path: str) -> HttpResponse:
    return redirect(f"{reverse(view_name)}?{urlencode({'next': next_path})}")


class Obstacle(enum.Enum):
    """What stands between a request and the admin."""

    LOGIN = "login"  # not logged in
    CONFIRM_LOGIN = "confirm_login"  # logged in, but not through the site's login
    NOT_STAFF = "not_staff"  # not an active, unfrozen staff member
    PROVE_SECOND_FACTOR = "prove_second_factor"  # has one, did not use it in this session
    SET_UP_SECOND_FACTOR = "set_up_second_factor"  # has none, and the policy asks for one


def admin_obstacle(request: HttpRequest) -> Obstacle | None:
    """None when this session may use the admin, else what it must do first."""
    user = request.user
    if not user.is_authenticated:
        return Obstacle.LOGIN
    if not (user.is_active and user.is_staff) or user.is_frozen:
        return Obstacle.NOT_STAFF
    return _login_obstacle(request)


def _login_obstacle(request: HttpRequest) -> Obstacle | None:
    """What a staff member's session lacks in how it logged in, if anything."""
    user = request.user
    if passed_second_factor(request):
        return None
    if has_two_factor(user):
        # Enrolled after this session's login, or the login skipped it: prove it now.
        return Obstacle.PROVE_SECOND_FACTOR
    if manage_requires_two_factor(user):
        return Obstacle.SET_UP_SECOND_FACTOR
    if not logged_in_through_the_site(request):
        # A session opened some other way (the admin's former password form): the site's
        # login would send a logged-in user straight back, so it is asked to confirm instead.
        return Obstacle.CONFIRM_LOGIN
    return None


def _answer(request: HttpRequest, obstacle: Obstacle, next_path: str) -> HttpResponse:
    if obstacle is Obstacle.LOGIN:
        return redirect_to_login(next_path, settings.LOGIN_URL)
    if obstacle is Obstacle.NOT_STAFF:
        return refused(request, _("This account may not use the administration pages."))
    if obstacle is Obstacle.PROVE_SECOND_FACTOR:
        return _with_next("mfa_reauthenticate", next_path)
    if obstacle is Obstacle.CONFIRM_LOGIN:
        return _with_next("account_reauthenticate", next_path)
    return _with_next("two_factor_required", next_path)


class AdminSite(admin.AdminSite):
    """Django's admin, with the site's login and the second-factor rule in front."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and admin_obstacle(request) is None

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """No password form here: the site's login, then back to ``next``."""
        next_path = _next_path(request)
        obstacle = admin_obstacle(request)
        if obstacle is None:
            return redirect(next_path)
        return _answer(request, obstacle, next_path)

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Passwords change on the account pages (re-authentication, strength checks, audit)."""
        return redirect("account_change_password")
