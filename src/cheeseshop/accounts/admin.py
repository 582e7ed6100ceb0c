"""The users admin: search, freeze and unfreeze accounts, make them trusted uploaders, verify
their email addresses, reset two-factor authentication after an identity check.

Every action is an audit event (``admin:*``), recorded with the acting admin and the user acted
on. The freeze and trusted-uploader flags change only through the actions, never through the
form, so that they cannot change unrecorded.
"""

from importlib import import_module

from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cheeseshop.accounts.models import User
from cheeseshop.accounts.services import reset_two_factor, set_trusted_uploader
from cheeseshop.admin import ReadOnlyInline
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import ADMIN, record_event
from cheeseshop.packaging.models import Role


def end_sessions(users) -> int:
    """Log ``users`` out everywhere by deleting their sessions; returns how many were ended.

    Only sessions kept in the database (Django's ``db`` and ``cached_db`` engines) can be found
    by user; with other engines nothing is ended here.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        return 0
    user_ids = {str(user.pk) for user in users}
    sessions = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    ended = 0
    for session in sessions.iterator():
        if session.get_decoded().get(SESSION_KEY) in user_ids:
            # The row itself: it is stored under a hash of the session's key, not the key.
            session.delete()
            ended += 1
    return ended


def _record_admin_event(request, tag: EventTag, user: User, **additional) -> None:
    record_event(
        tag,
        request=request,
        actor=request.user,
        credential=ADMIN,
        user=user,
        additional=additional or None,
    )


def verify_addresses(request, addresses) -> tuple[list[EmailAddress], list[EmailAddress]]:
    """Mark unverified ``addresses`` verified, recording each; returns (verified, refused).

    An address is refused when another account already holds it verified.
    """
    verified, refused = [], []
    with transaction.atomic():
        for address in addresses:
            if address.verified:
                continue
            if address.set_verified(commit=True):
                _record_admin_event(
                    request, EventTag.ADMIN_EMAIL_VERIFY, address.user, email=address.email
                )
                verified.append(address)
            else:
                refused.append(address)
    return verified, refused


def _report_verification(modeladmin, request, verified, refused) -> None:
    if verified:
        modeladmin.message_user(
            request,
            ngettext(
                "Verified %(count)d email address.",
                "Verified %(count)d email addresses.",
                len(verified),
            )
            % {"count": len(verified)},
            messages.SUCCESS,
        )
    for address in refused:
        modeladmin.message_user(
            request,
            _("Not verified: %(email)s is already verified on another account.")
            % {"email": address.email},
            messages.ERROR,
        )
    if not verified and not refused:
        modeladmin.message_user(
            request, _("Every selected email address was already verified."), messages.INFO
        )


class EmailAddressInline(ReadOnlyInline):
    model = EmailAddress
    fields = ("email", "primary", "verified")
    readonly_fields = fields
    verbose_name = gettext_lazy("email address")
    verbose_name_plural = gettext_lazy("email addresses")


class RoleInline(ReadOnlyInline):
    model = Role
    fk_name = "user"
    fields = ("project", "role_name", "created")
    readonly_fields = fields
    verbose_name = gettext_lazy("project role")
    verbose_name_plural = gettext_lazy("project roles")


# Inlines other apps show on a user's page (the tokens app its API tokens), registered from
# their own admin modules: this app does not know them.
_more_inlines: list[type[admin.options.InlineModelAdmin]] = []


def show_on_user_page(inline: type[admin.options.InlineModelAdmin]) -> None:
    """Show ``inline``'s rows on every user's admin page, after this app's own."""
    if inline not in _more_inlines:
        _more_inlines.append(inline)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "is_active",
        "is_frozen",
        "is_staff",
        "is_trusted_uploader",
        "date_joined",
    )
    list_filter = ("is_staff", "is_frozen", "is_trusted_uploader", "is_active", "is_superuser")
    search_fields = ("username", "email", "emailaddress__email")
    readonly_fields = ("is_frozen", "is_trusted_uploader", "last_login", "date_joined")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (gettext_lazy("Account state"), {"fields": ("is_frozen", "is_trusted_uploader")}),
        (gettext_lazy("Preferences"), {"fields": ("language",)}),
    )
    inlines = (EmailAddressInline, RoleInline)
    actions = (
        "freeze",
        "unfreeze",
        "trust_uploads",
        "untrust_uploads",
        "verify_emails",
        "reset_two_factor",
    )

    def get_inlines(self, request, obj):
        return (*self.inlines, *_more_inlines) if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:
        """Edits through the admin's own forms are audit events too (inside the form's
        transaction): which fields changed, never their secret values."""
        super().save_model(request, obj, form, change)
        if change:
            fields = sorted(set(form.changed_data) - {"password"})
            if fields:
                record_event(
                    EventTag.ADMIN_USER_CHANGE,
                    request=request,
                    actor=request.user,
                    credential=ADMIN,
                    user=obj,
                    additional={"fields": fields},
                )
        else:
            record_event(
                EventTag.ACCOUNT_CREATE,
                request=request,
                actor=request.user,
                credential=ADMIN,
                user=obj,
                additional={"by": "admin"},
            )

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                record_event(
                    EventTag.ADMIN_USER_PASSWORD_CHANGE,
                    request=request,
                    actor=request.user,
                    credential=ADMIN,
                    user=User.objects.get(pk=id),
                )
        return response

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting an account would orphan its projects and erase who did what; freeze it.
        return False

    @admin.action(description=gettext_lazy("Freeze the selected users"), permissions=["change"])
    def freeze(self, request, queryset) -> None:
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(
                request,
                _("You cannot freeze your own account; nothing was frozen."),
                messages.ERROR,
            )
            return
        with transaction.atomic():
            users = list(queryset.select_for_update().filter(is_frozen=False))
            for user in users:
                user.is_frozen = True
                user.save(update_fields=["is_frozen"])
                _record_admin_event(request, EventTag.ADMIN_USER_FREEZE, user)
            ended = end_sessions(users)
        self.message_user(
            request,
            ngettext(
                "Froze %(count)d user and ended %(sessions)d of their sessions.",
                "Froze %(count)d users and ended %(sessions)d of their sessions.",
                len(users),
            )
            % {"count": len(users), "sessions": ended},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Unfreeze the selected users"), permissions=["change"])
    def unfreeze(self, request, queryset) -> None:
        with transaction.atomic():
            users = list(queryset.select_for_update().filter(is_frozen=True))
            for user in users:
                user.is_frozen = False
                user.save(update_fields=["is_frozen"])
                _record_admin_event(request, EventTag.ADMIN_USER_UNFREEZE, user)
        self.message_user(
            request,
            ngettext("Unfroze %(count)d user.", "Unfroze %(count)d users.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Make the selected users trusted uploaders"),
        permissions=["change"],
    )
    def trust_uploads(self, request, queryset) -> None:
        changed = [
            user
            for user in queryset
            if set_trusted_uploader(
                user, True, actor=request.user, credential=ADMIN, request=request
            )
        ]
        self.message_user(
            request,
            ngettext(
                "Made %(count)d user a trusted uploader: no limit on their new projects.",
                "Made %(count)d users trusted uploaders: no limit on their new projects.",
                len(changed),
            )
            % {"count": len(changed)},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Hold the selected users to the limits on new projects"),
        permissions=["change"],
    )
    def untrust_uploads(self, request, queryset) -> None:
        changed = [
            user
            for user in queryset
            if set_trusted_uploader(
                user, False, actor=request.user, credential=ADMIN, request=request
            )
        ]
        self.message_user(
            request,
            ngettext(
                "%(count)d user is held to the limits on new projects again.",
                "%(count)d users are held to the limits on new projects again.",
                len(changed),
            )
            % {"count": len(changed)},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Verify the email addresses of the selected users"),
        permissions=["change"],
    )
    def verify_emails(self, request, queryset) -> None:
        addresses = EmailAddress.objects.filter(user__in=queryset).select_related("user")
        verified, refused = verify_addresses(request, addresses)
        _report_verification(self, request, verified, refused)

    @admin.action(
        description=gettext_lazy("Reset two-factor authentication"), permissions=["change"]
    )
    def reset_two_factor(self, request, queryset):
        """Remove the selected users' two-factor methods and recovery codes, once the admin
        confirms the identity check and says why (both recorded)."""
        confirming = request.POST.get("confirm_reset") == "yes"
        form = ResetTwoFactorForm(request.POST if confirming else None)
        if confirming and form.is_valid():
            reason = form.cleaned_data["reason"]
            users = list(queryset)
            for user in users:
                reset_two_factor(user, actor=request.user, reason=reason, request=request)
            self.message_user(
                request,
                ngettext(
                    "Reset two-factor authentication of %(count)d user.",
                    "Reset two-factor authentication of %(count)d users.",
                    len(users),
                )
                % {"count": len(users)},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/accounts/user/reset_two_factor.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reset two-factor authentication"),
                "opts": self.opts,
                "queryset": queryset,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "action": "reset_two_factor",
            },
        )


class ResetTwoFactorForm(forms.Form):
    """What an admin confirms before removing someone's second factors."""

    identity_checked = forms.BooleanField(
        label=gettext_lazy(
            "I checked that the person asking owns these accounts (for example: a message from "
            "the account's verified email address, and details only its owner knows)."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason, and how the identity was checked"),
        help_text=gettext_lazy("Kept in the audit trail with the reset."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        strip=True,
    )


# allauth registers its own email address admin, whose "verify" action records no event.
if admin.site.is_registered(EmailAddress):
    admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    list_display = ("email", "user", "primary", "verified")
    list_filter = ("primary", "verified")
    search_fields = ("email", "user__username")
    list_select_related = ("user",)
    fields = ("email", "user", "primary", "verified")
    readonly_fields = fields
    actions = ("verify",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Verify the selected email addresses"), permissions=["change"]
    )
    def verify(self, request, queryset) -> None:
        verified, refused = verify_addresses(request, queryset.select_related("user"))
        _report_verification(self, request, verified, refused)


def _titled(filter_class, title):
    """``filter_class`` under ``title``: Django titles a field's filter with its verbose name,
    which allauth's fields lack (the admin read "By type" in every language)."""

    class Titled(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    """allauth's two-factor methods admin, its columns, filters and form labelled in the reader's
    language (allauth gives these fields no verbose name)."""

    list_display = ("user", "method", "added", "last_used")
    # Django edits timestamps with split date and time inputs, which carry no label; these are
    # a record of what happened (created, last used), not settings: shown, not edited.
    readonly_fields = ("created_at", "last_used_at")
    list_filter = (
        ("type", _titled(admin.ChoicesFieldListFilter, gettext_lazy("method"))),
        ("created_at", _titled(admin.DateFieldListFilter, gettext_lazy("added"))),
        ("last_used_at", _titled(admin.DateFieldListFilter, gettext_lazy("last used"))),
    )
    labels = {
        "user": gettext_lazy("user"),
        "type": gettext_lazy("method"),
        # Translators: an authenticator's stored data (JSON), in the admin.
        "data": gettext_lazy("data"),
        "created_at": gettext_lazy("added"),
        "last_used_at": gettext_lazy("last used"),
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.labels:
            field.label = capfirst(self.labels[db_field.name])
        return field

    @admin.display(description=gettext_lazy("method"), ordering="type")
    def method(self, authenticator: Authenticator) -> str:
        return authenticator.get_type_display()

    @admin.display(description=gettext_lazy("added"), ordering="created_at")
    def added(self, authenticator: Authenticator):
        return authenticator.created_at

    @admin.display(description=gettext_lazy("last used"), ordering="last_used_at")
    def last_used(self, authenticator: Authenticator):
        return authenticator.last_used_at


if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)
admin.site.register(Authenticator, AuthenticatorAdmin)
