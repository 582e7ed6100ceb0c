"""Security notices to a project's Owners: an email when something security-relevant happens to
the project, whoever did it and however it was recorded.

Connected in AccountsConfig.ready() to ``post_save`` of the audit trail's Event, so every
recorded event passes here. Recipients are decided when the event is recorded (a deleted
project's Owners are gone once its deletion commits); the mail goes only after the recording
transaction commits, so a change that was rolled back sends nothing.

Critical notices always go: deletions (project, release, file), a new collaborator, an Owner
added or removed. The others (a role change not involving the Owner role, an API token added
for the project) go only to Owners whose ``notify_non_critical`` setting is on.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models.signals import post_save
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cheeseshop.accounts.languages import language_of
from cheeseshop.audit.history import describe_credential
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.packaging.models import RoleName, role_label
from cheeseshop.site import index_site

logger = logging.getLogger(__name__)


def _always(event: Event) -> bool:
    return True


def _never(event: Event) -> bool:
    return False


def _involves_owner(event: Event) -> bool:
    names = (event.additional.get("role_name"), event.additional.get("previous_role_name"))
    return RoleName.OWNER in names


@dataclass(frozen=True)
class NoticeKind:
    critical: Callable[[Event], bool]
    # The sentence saying what happened, with %(...)s placeholders filled from _facts().
    sentence: Callable[[], str]
    # Whether the collaborator the event is about is told too (they may no longer be an Owner).
    tells_target: bool = False


NOTICES: dict[str, NoticeKind] = {
    EventTag.PROJECT_ROLE_ADD: NoticeKind(
        _always,
        lambda: _("User '%(target)s' became a collaborator on project '%(project)s' as %(role)s."),
    ),
    EventTag.PROJECT_ROLE_CHANGE: NoticeKind(
        _involves_owner,
        lambda: _(
            "User '%(target)s' now has the role %(role)s on project '%(project)s' "
            "(was %(previous_role)s)."
        ),
        tells_target=True,
    ),
    EventTag.PROJECT_ROLE_REMOVE: NoticeKind(
        _involves_owner,
        lambda: _("User '%(target)s' (%(role)s) was removed from project '%(project)s'."),
        tells_target=True,
    ),
    EventTag.PROJECT_API_TOKEN_ADDED: NoticeKind(
        _never,
        # Translators: %(token_user)s is a username; %(token)s the token's description, as its
        # owner wrote it.
        lambda: _(
            "An API token of user '%(token_user)s', “%(token)s”, may now upload to project "
            "'%(project)s'."
        ),
    ),
    EventTag.PROJECT_RELEASE_REMOVE: NoticeKind(
        _always,
        lambda: _("Release %(version)s of project '%(project)s' was deleted, with its files."),
    ),
    EventTag.PROJECT_REMOVE: NoticeKind(
        _always,
        lambda: _("Project '%(project)s' was deleted, with all its releases and files."),
    ),
    EventTag.FILE_REMOVE: NoticeKind(
        _always,
        lambda: _("File %(filename)s of project '%(project)s' was deleted."),
    ),
}


@dataclass(frozen=True)
class Recipient:
    username: str
    email: str
    language: str  # the notice's, chosen when the event is recorded (accounts.languages)


def _verified_primary_emails(users) -> dict[int, str]:
    addresses = EmailAddress.objects.filter(user__in=users, primary=True, verified=True)
    return dict(addresses.values_list("user_id", "email"))


def recipients_of(event: Event, notice: NoticeKind) -> list[Recipient]:
    """Who is told: the project's Owners now, and the collaborator the event is about when the
    notice tells them; never someone told about their own joining, never a non-critical notice
    to whoever turned those off, never someone without a verified primary email address."""
    user_model = get_user_model()
    owners = user_model.objects.filter(
        roles__project_id=event.project_id, roles__role_name=RoleName.OWNER, is_active=True
    )
    users = {user.pk: user for user in owners}
    target_name = event.additional.get("target_user")
    if notice.tells_target and target_name:
        target = user_model.objects.filter(username=target_name, is_active=True).first()
        if target is not None:
            users.setdefault(target.pk, target)
    if event.tag == EventTag.PROJECT_ROLE_ADD and event.actor_id is not None:
        # Who joined (accepted an invitation, created the project) knows it already.
        joined = users.get(event.actor_id)
        if joined is not None and joined.username == target_name:
            del users[event.actor_id]
    if not notice.critical(event):
        users = {pk: user for pk, user in users.items() if user.notify_non_critical}
    emails = _verified_primary_emails(list(users))
    return [
        Recipient(
            user.username,
            emails[pk],
            # Without a language of their own, an Owner who made the change themselves reads
            # the one they made it in; the others, the site's.
            language_of(user, they_acted=pk == event.actor_id),
        )
        for pk, user in sorted(users.items())
        if pk in emails
    ]


def _facts(event: Event) -> dict[str, str]:
    """What the notice sentences may name, taken from the event when it is recorded. Role
    names stay as stored ("Owner"): each recipient reads them in their own language."""
    additional = event.additional
    project = event.project
    return {
        "project": project.name if project is not None else additional.get("name", ""),
        "target": str(additional.get("target_user", "")),
        "role": str(additional.get("role_name", "")),
        "previous_role": str(additional.get("previous_role_name", "")),
        "token": str(additional.get("description", "")),
        "token_user": str(additional.get("user", "")),
        "version": str(additional.get("version", "")),
        "filename": str(additional.get("filename", "")),
    }


def _history_path(event: Event) -> str:
    if event.tag == EventTag.PROJECT_REMOVE or event.project is None:
        return ""
    try:
        return reverse("manage:history", kwargs={"name": event.project.normalized_name})
    except NoReverseMatch:  # pragma: no cover - the manage app is always mounted
        return ""


def _settings_path() -> str:
    try:
        return reverse("security:notifications")
    except NoReverseMatch:  # mounted by the project's urls.py
        return ""


@dataclass(frozen=True)
class PendingNotice:
    """A notice decided when the event was recorded, sent once its transaction commits."""

    notice: NoticeKind
    critical: bool
    facts: dict[str, str]
    tag_label: str
    actor: str
    credential: dict
    time: object
    history_path: str
    recipients: list[Recipient]

    def send(self) -> None:
        for recipient in self.recipients:
            try:
                self._send_to(recipient)
            except Exception:
                # The change is committed; a failing mail must neither undo nor hide it, nor
                # keep the other Owners from being told.
                logger.exception("Could not send a security notice to %s", recipient.username)

    def _context(self) -> dict:
        """What the templates show, in the active language (the recipient's)."""
        facts = {
            **self.facts,
            "role": role_label(self.facts["role"]),
            "previous_role": role_label(self.facts["previous_role"]),
        }
        return {
            "site_name": settings.SITE_NAME,
            # What allauth's mail layout names; there is no request (and no domain) here.
            "current_site": index_site(),
            "what": self.notice.sentence() % facts,
            "project": self.facts["project"],
            "tag_label": self.tag_label,
            "actor": self.actor,
            "credential": describe_credential(self.credential),
            "when": self.time,
            "history_path": self.history_path,
            "critical": self.critical,
            "settings_path": _settings_path(),
        }

    def _send_to(self, recipient: Recipient) -> None:
        with translation.override(recipient.language):
            context = {**self._context(), "username": recipient.username}
            subject = render_to_string("accounts/email/project_notice_subject.txt", context)
            body = render_to_string("accounts/email/project_notice_message.txt", context).strip()
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
        send_mail(subject, body, None, [recipient.email])


def pending_notice(event: Event) -> PendingNotice | None:
    """The notice ``event`` calls for, with its recipients; None when it calls for none."""
    notice = NOTICES.get(event.tag)
    if notice is None or event.project_id is None:
        return None
    recipients = recipients_of(event, notice)
    if not recipients:
        return None
    actor = event.actor
    return PendingNotice(
        notice=notice,
        critical=notice.critical(event),
        facts=_facts(event),
        tag_label=event.tag_label,
        actor=actor.username if actor is not None else "",
        credential=dict(event.credential),
        time=event.time,
        history_path=_history_path(event),
        recipients=recipients,
    )


def on_event_recorded(sender, instance: Event, created: bool, raw: bool = False, **kwargs):
    if not created or raw:  # events are never updated; fixtures (raw) are not news
        return
    notice = pending_notice(instance)
    if notice is not None:
        transaction.on_commit(notice.send, using=kwargs.get("using"))


def connect() -> None:
    post_save.connect(
        on_event_recorded, sender=Event, dispatch_uid="cheeseshop.accounts.project_notices"
    )
