"""The account URLs, mounted at /account/: allauth's, with cheeseshop's guards in front.

The patterns keep allauth's paths and names; the ones listed here are matched first.
"""

from allauth.account import urls as allauth_account_urls
from allauth.mfa.recovery_codes import views as recovery_code_views
from allauth.mfa.totp import views as totp_views
from allauth.mfa.webauthn import views as webauthn_views
from django.urls import URLPattern, include, path

from cheeseshop.accounts import two_factor_views, views

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


# Two-factor changes, refused under the read-only flag too (logging in with a second factor,
# and re-authenticating, stay open). Same paths and names as allauth's.
_read_only_guard = views.refuse_changes_while_read_only
_TWO_FACTOR_CHANGES = [
    path(
        "2fa/totp/activate/", _read_only_guard(totp_views.activate_totp), name="mfa_activate_totp"
    ),
    path(
        "2fa/totp/deactivate/",
        _read_only_guard(totp_views.deactivate_totp),
        name="mfa_deactivate_totp",
    ),
    path(
        "2fa/recovery-codes/generate/",
        _read_only_guard(recovery_code_views.generate_recovery_codes),
        name="mfa_generate_recovery_codes",
    ),
    path(
        "2fa/recovery-codes/download/",
        two_factor_views.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
    path(
        "2fa/webauthn/add/", _read_only_guard(webauthn_views.add_webauthn), name="mfa_add_webauthn"
    ),
    path(
        "2fa/webauthn/keys/<int:pk>/remove/",
        _read_only_guard(webauthn_views.remove_webauthn),
        name="mfa_remove_webauthn",
    ),
    path(
        "2fa/webauthn/keys/<int:pk>/edit/",
        _read_only_guard(webauthn_views.edit_webauthn),
        name="mfa_edit_webauthn",
    ),
    path(
        "2fa/required/",
        two_factor_views.two_factor_required,
        name="two_factor_required",
    ),
]

urlpatterns = [
    *_TWO_FACTOR_CHANGES,
    *(
        _guarded(pattern)
        for pattern in allauth_account_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name in _CHANGES_ACCOUNTS
    ),
    path("", include("allauth.urls")),
]
