"""The forms of the audit pages: a history's kind filter, and the admin audit log's filters
(which also select what an export contains)."""

import datetime
import ipaddress
import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from packaging.utils import canonicalize_name

from cheeseshop.audit.history import Kind, tags_of_kind
from cheeseshop.audit.models import Event, EventTag
from cheeseshop.audit.services import hash_ip

# Shorter IP hash prefixes would match too many unrelated addresses to be a useful filter.
MIN_IP_HASH_PREFIX = 8
IP_HASH_PREFIX = re.compile(rf"[0-9a-f]{{{MIN_IP_HASH_PREFIX},64}}")


class KindFilterForm(forms.Form):
    """``?kind=`` on a history page; no kind shows every event."""

    kind = forms.ChoiceField(label=gettext_lazy("Show"), required=False)

    def __init__(self, *args, kinds: tuple[Kind, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.fields["kind"].choices = [("", _("All events"))] + [
            (kind.slug, kind.label) for kind in kinds
        ]
        self.fields["kind"].error_messages["invalid_choice"] = _(
            "'%(value)s' is not a kind of event here; choose one from the list."
        )

    def filter(self, events: QuerySet) -> QuerySet:
        """The events of the chosen kind; call after is_valid()."""
        slug = self.cleaned_data.get("kind") if self.is_bound and self.is_valid() else ""
        kind = next((kind for kind in self.kinds if kind.slug == slug), None)
        if kind is None:
            return events
        return events.filter(tag__in=tags_of_kind(kind, self.kinds))

    @property
    def query_prefix(self) -> str:
        """The filter as a query string to put before ``page=`` in pagination links."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("kind"):
            return f"kind={self.cleaned_data['kind']}&"
        return ""


class AuditLogFilterForm(forms.Form):
    """The admin audit log's filters; every one is optional and they combine with AND."""

    user = forms.CharField(
        label=gettext_lazy("User"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("A username: events about that account or done by it."),
    )
    project = forms.CharField(
        label=gettext_lazy("Project"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("A project name, also of a deleted project."),
    )
    tag = forms.ChoiceField(label=gettext_lazy("Event"), required=False)
    since = forms.DateField(
        label=gettext_lazy("From (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("This day included."),
    )
    until = forms.DateField(
        label=gettext_lazy("To (UTC)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("This day included."),
    )
    ip = forms.CharField(
        label=gettext_lazy("IP address or IP hash"),
        required=False,
        max_length=64,
        help_text=gettext_lazy(
            "An IP address (hashed here, as stored) or the start of a hash, at least 8 "
            "hexadecimal digits."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All events"))] + [
            (tag.value, f"{tag.value} ({tag.label})") for tag in EventTag
        ]
        self.fields["tag"].error_messages["invalid_choice"] = _(
            "'%(value)s' is not an event tag; choose one from the list."
        )

    def clean_ip(self) -> str:
        value = self.cleaned_data["ip"].strip()
        if not value:
            return ""
        try:
            return hash_ip(str(ipaddress.ip_address(value)))
        except ValueError:
            pass
        value = value.lower()
        if not IP_HASH_PREFIX.fullmatch(value):
            raise forms.ValidationError(
                _(
                    "'%(value)s' is neither an IP address nor the start of an IP hash (at "
                    "least %(min)d hexadecimal digits)."
                )
                % {"value": value, "min": MIN_IP_HASH_PREFIX}
            )
        return value

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def filter(self, events: QuerySet) -> QuerySet:
        """The events matching every filter given; call after is_valid() returned True."""
        data = self.cleaned_data
        if data.get("user"):
            user_ids = get_user_model().objects.filter(username__iexact=data["user"].strip())
            ids = list(user_ids.values_list("pk", flat=True))
            events = events.filter(Q(user_id__in=ids) | Q(actor_id__in=ids))
        if data.get("project"):
            events = events.filter(project_id__in=_project_ids(data["project"]))
        if data.get("tag"):
            events = events.filter(tag=data["tag"])
        if data.get("since"):
            events = events.filter(time__gte=_start_of_day(data["since"]))
        if data.get("until"):
            end = _start_of_day(data["until"] + datetime.timedelta(days=1))
            events = events.filter(time__lt=end)
        if data.get("ip"):
            events = events.filter(ip_hash__startswith=data["ip"])
        return events


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _project_ids(name: str) -> list[int]:
    """The ids a project name had: the live project's, and those of deleted projects of that
    name (their deletion event keeps the name; their other events only the id)."""
    normalized = canonicalize_name(name.strip())
    live = (
        Event.objects.filter(project__normalized_name=normalized)
        .values_list("project_id", flat=True)
        .distinct()
    )
    deleted = Event.objects.filter(
        tag__in=[EventTag.PROJECT_REMOVE, EventTag.ADMIN_PROJECT_REMOVE],
        additional__normalized_name=normalized,
    ).values_list("project_id", flat=True)
    return list({*live, *deleted} - {None})
