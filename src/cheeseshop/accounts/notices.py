"""Notices mailed to an account's owner: two-factor changes, logins from a new device,
invitations to a project, and another account's attempt to add their address. Each is a pair
of templates, accounts/email/<notice>_subject.txt and _message.txt."""

import logging

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cheeseshop.accounts.languages import in_language_of
from cheeseshop.audit.services import client_ip
from cheeseshop.packaging.models import RoleName
from cheeseshop.site import absolute_url, index_site

logger = logging.getLogger(__name__)

METHOD_ADDED = "two_factor_method_added"
METHOD_REMOVED = "two_factor_method_removed"
RECOVERY_CODES_GENERATED = "recovery_codes_generated"
RECOVERY_CODE_USED = "recovery_code_used"
TWO_FACTOR_RESET = "two_factor_reset"
NEW_DEVICE_LOGIN = "new_device_login"
PROJECT_INVITATION = "project_invitation"
EMAIL_ADD_REFUSED = "email_add_refused"

# Notices of what the account's owner did themselves: without a language of their own, they
# are written in the one they were using. The others (an invitation, an administrator's
# reset, someone else's attempt) say nothing of the reader's language (accounts.languages).
OWN_ACTIONS = {
    METHOD_ADDED,
    METHOD_REMOVED,
    RECOVERY_CODES_GENERATED,
    RECOVERY_CODE_USED,
    NEW_DEVICE_LOGIN,
}


def mail_invitation(invitation, inviter, request: HttpRequest | None = None) -> None:
    """Tell the invitee of a project invitation, who would otherwise learn of it only by
    visiting their projects page. A mail server's failure is logged: the invitation stands."""
    path = reverse("manage:projects")
    context = {
        "project": invitation.project.name,
        "role": RoleName(invitation.role_name).label,
        "inviter": inviter.username,
        "invitations_url": absolute_url(path),
    }
    try:
        send_notice(PROJECT_INVITATION, invitation.user, request=request, context=context)
    except Exception:
        logger.exception("Could not mail the invitation to %s", invitation.user.username)


def _recipient(user) -> str:
    return EmailAddress.objects.get_primary_email(user) or user.email


def send_notice(
    notice: str, user, *, request: HttpRequest | None = None, context: dict | None = None
) -> None:
    """Mail ``notice`` to ``user``'s primary address (nothing when they have none), in their
    language."""
    email = _recipient(user)
    if not email:
        return
    ctx = {
        "user": user,
        "site_name": settings.SITE_NAME,
        "when": timezone.now(),
        "ip": client_ip(request) if request is not None else "",
        "user_agent": request.META.get("HTTP_USER_AGENT", "") if request is not None else "",
        "current_site": index_site(),
        "two_factor_url": absolute_url(reverse("mfa_index")),
        **(context or {}),
    }
    with in_language_of(user, they_acted=notice in OWN_ACTIONS):
        subject = render_to_string(f"accounts/email/{notice}_subject.txt", ctx, request)
        body = render_to_string(f"accounts/email/{notice}_message.txt", ctx, request).strip()
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    send_mail(subject, body, None, [email])
