"""The form that asks for a new API token: what it is for, what it may upload to, how long."""

from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cheeseshop.packaging.models import Project

# The same limit as APIToken.description; the service refuses longer ones too.
MAX_DESCRIPTION = 100

SCOPE_ACCOUNT = "account"
SCOPE_PROJECTS = "projects"

EXPIRES_NEVER = ""
EXPIRES_ON_DATE = "date"
EXPIRY_DAYS = (7, 30, 90, 365)


def _expiry_choices() -> list[tuple[str, str]]:
    return [
        (EXPIRES_NEVER, _("Never")),
        *((str(days), _("In %(days)d days") % {"days": days}) for days in EXPIRY_DAYS),
        (EXPIRES_ON_DATE, _("At the end of the date below (UTC)")),
    ]


def end_of_day(day: date) -> datetime:
    """The first instant after ``day`` ends, in UTC: a token "expiring on" a day works all day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


class CreateTokenForm(forms.Form):
    """``projects`` lists the projects the user has a role on; ``expires_at`` and
    ``project_names`` are what to pass to ``issue_token`` once the form is valid."""

    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=MAX_DESCRIPTION,
        help_text=gettext_lazy(
            "What the token is for, e.g. “GitHub Actions release workflow”. "
            "It must differ from your other active tokens' descriptions."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"),
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "A token for the entire account can upload to every project you collaborate on "
            "and create new projects. Limit it to the projects it needs."
        ),
    )
    projects = forms.MultipleChoiceField(
        label=gettext_lazy("Projects the token may upload to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only used when the scope is “Selected projects”."),
    )
    expires = forms.ChoiceField(
        label=gettext_lazy("Expires"),
        required=False,
        help_text=gettext_lazy("After this, the token stops working; you can revoke it sooner."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expiry date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy(
            "Only used when “At the end of the date below” is chosen; format YYYY-MM-DD."
        ),
    )

    def __init__(self, *args, projects: list[Project], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["projects"].choices = [
            (project.normalized_name, project.name) for project in projects
        ]
        scopes = [(SCOPE_ACCOUNT, _("Entire account (all your projects)"))]
        if projects:
            scopes.append((SCOPE_PROJECTS, _("Selected projects")))
        else:
            # Nothing to choose from: the form offers only the scope it can issue.
            del self.fields["projects"]
        self.fields["scope"].choices = scopes
        self.fields["expires"].choices = _expiry_choices()

    def clean_description(self) -> str:
        return self.cleaned_data["description"].strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        self._check_scope(cleaned)
        self._check_expiry(cleaned)
        return cleaned

    def _check_scope(self, cleaned: dict) -> None:
        scope = cleaned.get("scope")
        chosen = cleaned.get("projects") or []
        if scope == SCOPE_PROJECTS and not chosen and "projects" not in self.errors:
            self.add_error(
                "projects",
                _("Choose at least one project, or choose “Entire account” as the scope."),
            )
        elif scope == SCOPE_ACCOUNT and chosen:
            # Refused rather than ignored: a token wider than its creator meant is a risk.
            self.add_error(
                "projects",
                _(
                    "You chose “Entire account” but also ticked projects. Choose "
                    "“Selected projects” to limit the token, or untick the projects."
                ),
            )

    def _check_expiry(self, cleaned: dict) -> None:
        if cleaned.get("expires") != EXPIRES_ON_DATE:
            return
        day = cleaned.get("expires_on")
        if day is None:
            if "expires_on" not in self.errors:
                self.add_error("expires_on", _("Enter the date the token expires on."))
        elif end_of_day(day) <= timezone.now():
            self.add_error(
                "expires_on",
                _("The expiry date %(date)s has passed; choose today or a later date.")
                % {"date": formats.date_format(day)},
            )

    @property
    def project_names(self) -> tuple[str, ...]:
        if self.cleaned_data["scope"] != SCOPE_PROJECTS:
            return ()
        return tuple(self.cleaned_data["projects"])

    @property
    def expires_at(self) -> datetime | None:
        expires = self.cleaned_data.get("expires")
        if expires == EXPIRES_ON_DATE:
            return end_of_day(self.cleaned_data["expires_on"])
        if expires:
            return timezone.now() + timedelta(days=int(expires))
        return None
