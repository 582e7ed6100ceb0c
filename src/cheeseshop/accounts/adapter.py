"""How allauth behaves in cheeseshop: admin flags, frozen accounts, password rules, limits."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cheeseshop.accounts import ratelimits, responses
from cheeseshop.accounts.identity import login_identifier, user_for_login
from cheeseshop.accounts.languages import current_site_language, in_language_of
from cheeseshop.accounts.validators import (
    MAX_PASSWORD_LENGTH,
    MaximumLengthValidator,
    NullCharacterValidator,
    PasswordStrengthValidator,
)
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import Credential, client_ip, record_event
from cheeseshop.flags.models import FlagId
from cheeseshop.flags.services import is_enabled
from cheeseshop.site import index_site

# Translated when shown; %(wait)s becomes "4 minutes" and the like.
LOGIN_LOCKED = gettext_noop("Too many failed login attempts. Try again in %(wait)s.")
SIGNUP_LOCKED = gettext_noop("Too many sign-up attempts from your network. Try again in %(wait)s.")
EMAIL_VERIFY_LOCKED = gettext_noop(
    "Too many verification emails were sent for this account. Try again in %(wait)s."
)


def login_limit_keys(request, credentials: dict) -> list[str]:
    """Failed logins are counted per client address and per account (or typed identifier,
    when no account has it), so neither many accounts from one address nor one account from
    many addresses can be guessed at for long."""
    identifier = login_identifier(credentials)
    user = user_for_login(identifier)
    subject = f"user:{user.pk}" if user is not None else f"login:{identifier.lower()}"
    return [ratelimits.ip_key(request), subject]


def _refuse_if_locked(request, name: str, keys: list[str], message: str) -> None:
    wait = max(ratelimits.reset_in(name, key) for key in keys)
    if wait:
        raise ImmediateHttpResponse(responses.locked_out(request, message, wait_seconds=wait))


def _account_of(email: str, context: dict):
    """Whom an allauth mail is written to: the user it names, else the account that has the
    address (verified first), else nobody."""
    if context.get("user") is not None:
        return context["user"]
    address = (
        EmailAddress.objects.filter(email__iexact=email)
        .select_related("user")
        .order_by("-verified", "-primary")
        .first()
    )
    return address.user if address is not None else None


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        # allauth's own guess trusts X-Forwarded-For's first entry, which the client writes.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    # --- sign-up ---------------------------------------------------------------------------

    def is_open_for_signup(self, request):
        if is_enabled(FlagId.DISALLOW_NEW_USER) or is_enabled(FlagId.READ_ONLY):
            return False
        key = ratelimits.ip_key(request)
        # Every sign-up form sent counts, so usernames and addresses cannot be probed at will.
        if request.method == "POST":
            if not ratelimits.hit("signup", key):
                _refuse_if_locked(request, "signup", [key], _(SIGNUP_LOCKED))
        else:
            _refuse_if_locked(request, "signup", [key], _(SIGNUP_LOCKED))
        return True

    def save_user(self, request, user, form, commit=True):
        # The language of the sign-up page becomes theirs: their emails and pages stay in it.
        user.language = current_site_language()
        return super().save_user(request, user, form, commit=commit)

    # --- passwords -------------------------------------------------------------------------

    def clean_password(self, password, user=None):
        # Cheap checks first: nothing below should ever see a huge or NUL-laden password.
        MaximumLengthValidator().validate(password, user)
        NullCharacterValidator().validate(password, user)
        super().clean_password(password, user)
        PasswordStrengthValidator().validate(password, user)
        return password

    # --- login -----------------------------------------------------------------------------

    def authenticate(self, request, **credentials):
        """Check the password, counting only failures against the login limits."""
        keys = login_limit_keys(request, credentials)
        _refuse_if_locked(request, "login", keys, _(LOGIN_LOCKED))
        if len(credentials.get("password") or "") > MAX_PASSWORD_LENGTH:
            user = None  # never hash it; it cannot be anyone's password
        else:
            user = super().authenticate(request, **credentials)
        if user is None:
            for key in keys:
                ratelimits.hit("login", key)
        return user

    def pre_login(self, request, user, **kwargs):
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        if user.is_frozen:
            clear_login(request)  # as allauth does for inactive users: no half-done login
            record_event(
                EventTag.ACCOUNT_LOGIN_FAILURE,
                request=request,
                credential=Credential("password"),
                user=user,
                additional={"reason": "frozen"},
            )
            return responses.account_frozen(request)
        return None

    # --- email -----------------------------------------------------------------------------

    def send_mail(self, template_prefix, email, context):
        # allauth's current_site comes from the request's Host header, the client's to write.
        context = {"current_site": index_site(), **context}
        # In the language of the account the address belongs to; allauth's mails are asked for
        # from a page by whoever uses the address (resets, confirmation links, login codes), so
        # without a choice of their own, the page's. An address nobody has: the page's too.
        with in_language_of(_account_of(email, context), they_acted=True):
            super().send_mail(template_prefix, email, context)

    def should_send_confirmation_mail(self, request, email_address, signup):
        # At login with an unverified address allauth sends a new link each time; once the
        # limit is reached the links already sent are enough, so the login just says so.
        if email_address.user_id and not ratelimits.test(
            "email_verify", f"user:{email_address.user_id}"
        ):
            return False
        return super().should_send_confirmation_mail(request, email_address, signup)

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        key = f"user:{emailconfirmation.email_address.user_id}"
        if not ratelimits.hit("email_verify", key):
            _refuse_if_locked(request, "email_verify", [key], _(EMAIL_VERIFY_LOCKED))
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        # Two-factor notices are sent by cheeseshop's receivers (two_factor_receivers), always;
        # allauth's own copies would arrive twice once ACCOUNT_EMAIL_NOTIFICATIONS is on.
        if template_prefix.startswith("mfa/"):
            return
        with in_language_of(user, they_acted=True):  # its context names no user: send_mail's
            super().send_notification_mail(template_prefix, user, context=context, email=email)

    def send_password_reset_mail(self, user, email, context):
        record_event(
            EventTag.ACCOUNT_PASSWORD_RESET_REQUEST,
            request=context.get("request"),
            credential=Credential("none"),
            user=user,
            additional={"email": email},
        )
        super().send_password_reset_mail(user, email, context)
