"""The forms of the account's own pages that allauth does not provide, and allauth's forms
cheeseshop changes."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.models import EmailAddress
from django import forms
from django.contrib import messages
from django.utils.translation import gettext_lazy as _

from cheeseshop.accounts import notices
from cheeseshop.accounts.languages import current_site_language
from cheeseshop.accounts.models import User


class AddEmailForm(AllauthAddEmailForm):
    """allauth's "add an email address", refusing an address another account has verified.

    allauth added it here, unverified (when it hides which addresses are in use, its default):
    the account then showed someone else's address, and its owner got confirmation mails they
    never asked for. Now nothing is added. What the person adding it is told follows allauth's
    enumeration setting, as sign-up does: with ACCOUNT_PREVENT_ENUMERATION off, allauth's own
    "already in use" error; on (the default), the same answer as for any address, while the
    address's owner is told by email that someone tried to add it.
    """

    def clean_email(self) -> str:
        value = super().clean_email()
        self.verified_elsewhere = (
            EmailAddress.objects.filter(email__iexact=value, verified=True)
            .exclude(user_id=self.user.pk)
            .select_related("user")
            .first()
        )
        return value

    def save(self, request):
        if self.verified_elsewhere is None:
            return super().save(request)
        notices.send_notice(
            notices.EMAIL_ADD_REFUSED,
            self.verified_elsewhere.user,
            request=request,
            context={"email": self.verified_elsewhere.email},
        )
        # The answer a new address gets (allauth's message), so the adder learns nothing.
        get_adapter().add_message(
            request,
            messages.INFO,
            "account/messages/email_confirmation_sent.txt",
            {"email": self.cleaned_data["email"], "login": True, "signup": False},
        )
        # Not saved: allauth records and announces only addresses that were stored.
        return EmailAddress(user=self.user, email=self.cleaned_data["email"])


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["notify_non_critical"]


class LanguageSelect(forms.Select):
    """Each language named in itself, marked with its own ``lang`` so screen readers say it
    right."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if value:
            option["attrs"]["lang"] = value
        return option


class LanguageForm(forms.ModelForm):
    """The language of a user's pages and emails, one of settings.LANGUAGES."""

    class Meta:
        model = User
        fields = ["language"]
        widgets = {"language": LanguageSelect}
        error_messages = {
            "language": {
                "required": _("Choose a language."),
                "invalid_choice": _("Choose one of the languages in the list."),
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        field.required = True
        # Not the model's blank choice ("---------"): a language is always chosen here.
        field.choices = [choice for choice in field.choices if choice[0]]
        if not self.instance.language:  # never chosen: the one they are reading now
            self.initial["language"] = current_site_language()
        field.help_text = _(
            "The language of the pages you see while logged in and of every email sent to you."
        )
