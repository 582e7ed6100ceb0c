"""The account URLs, mounted at /account/: allauth's, with cheeseshop's guards in front.

The patterns keep allauth's paths and names; the ones listed here are matched first.
"""

from allauth.account import urls as allauth_account_urls
from django.urls import URLPattern, include, path

from cheeseshop.accounts import views

# Views that change an account, refused under the read-only flag. Login and logout stay open.
_CHANGES_ACCOUNTS = {
    "account_signup",
    "account_email",
    "account_confirm_email",
    "account_change_password",
    "account_set_password",
    "account_reset_password",
    "account_reset_password_from_key",
}
_REPLACED = {"account_reset_password": views.password_reset}


def _guarded(pattern: URLPattern) -> URLPattern:
    view = _REPLACED.get(pattern.name, pattern.callback)
    return URLPattern(
        pattern.pattern,
        views.refuse_changes_while_read_only(view),
        pattern.default_args,
        pattern.name,
    )


urlpatterns = [
    *(
        _guarded(pattern)
        for pattern in allauth_account_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name in _CHANGES_ACCOUNTS
    ),
    path("", include("allauth.urls")),
]
