from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cheeseshop.packaging.models import RoleName

# Yank reasons are shown by installers next to a warning; a paragraph is plenty.
MAX_YANK_REASON = 1000


class InviteForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role_name = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=RoleName.choices,
        initial=RoleName.MAINTAINER,
        help_text=gettext_lazy(
            "Owners can also manage collaborators and yank or delete releases; "
            "Maintainers can upload."
        ),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        self.invitee = get_user_model().objects.filter(username__iexact=username).first()
        if self.invitee is None:
            raise forms.ValidationError(
                _("No user is named '%(username)s'.") % {"username": username}
            )
        return username


class ChangeRoleForm(forms.Form):
    role_name = forms.ChoiceField(label=gettext_lazy("Role"), choices=RoleName.choices)


class YankForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"),
        required=False,
        max_length=MAX_YANK_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Installers show this to anyone who installs the yanked release."),
    )


class TypedConfirmationForm(forms.Form):
    """Asks the user to type a name exactly, so a destructive action is never a slip.

    The field is named after what is typed (``confirm_project_name``, ``confirm_version``,
    ``confirm_filename``), as on PyPI.
    """

    def __init__(self, *args, field_name: str, expected: str, label: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.field_name = field_name
        self.expected = expected
        self.fields[field_name] = forms.CharField(
            label=label,
            max_length=300,
            widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = cleaned.get(self.field_name)
        if typed is not None and typed.strip() != self.expected:
            self.add_error(
                self.field_name,
                _("The text you typed does not match '%(expected)s'. Nothing was deleted.")
                % {"expected": self.expected},
            )
        return cleaned
