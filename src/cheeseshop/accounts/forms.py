"""The forms of the account's own pages that allauth does not provide."""

from django import forms

from cheeseshop.accounts.models import User


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["notify_non_critical"]
