"""The audit trail in the admin: read only, for everyone, always.

Subjects are plain ids (a deleted project's events stay), so every subject is shown by name when
it still exists and by id either way.
"""

import json

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cheeseshop.audit.models import Event, EventTag


class TagFilter(admin.SimpleListFilter):
    title = _("tag")
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return [(tag.value, f"{tag.value} ({tag.label})") for tag in EventTag]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tag=self.value())
        return queryset


def _subject(obj, related_name: str) -> str:
    """``name (#id)``, or ``#id (deleted)`` when the row is gone, or empty when there is none."""
    subject_id = getattr(obj, f"{related_name}_id")
    if subject_id is None:
        return ""
    subject = getattr(obj, related_name)
    if subject is None:
        return gettext("#%(id)s (deleted)") % {"id": subject_id}
    return f"{subject} (#{subject_id})"


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = (
        "time",
        "tag",
        "actor_subject",
        "user_subject",
        "project_subject",
        "credential_method",
        "short_ip_hash",
    )
    list_filter = (TagFilter,)
    list_select_related = ("actor", "user", "project", "file")
    date_hierarchy = "time"
    # Searched by get_search_results below: ids, or exact names.
    search_fields = ("project__normalized_name", "user__username", "actor__username")
    ordering = ("-id",)
    search_help_text = _(
        "An id matches the project, user or actor with that id; a name matches a project's "
        "normalized name or a username exactly."
    )
    fields = (
        "tag",
        "tag_label",
        "time",
        "actor_subject",
        "user_subject",
        "project_subject",
        "file_subject",
        "credential_json",
        "ip_hash",
        "user_agent",
        "additional_json",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isdigit():
            subject_id = int(term)
            condition = Q(project_id=subject_id) | Q(user_id=subject_id) | Q(actor_id=subject_id)
        else:
            condition = (
                Q(project__normalized_name=term.lower())
                | Q(user__username__iexact=term)
                | Q(actor__username__iexact=term)
            )
        return queryset.filter(condition), False

    @admin.display(description=_("what happened"))
    def tag_label(self, event: Event) -> str:
        return event.tag_label

    @admin.display(description=_("actor"), ordering="actor_id")
    def actor_subject(self, event: Event) -> str:
        return _subject(event, "actor")

    @admin.display(description=_("user"), ordering="user_id")
    def user_subject(self, event: Event) -> str:
        return _subject(event, "user")

    @admin.display(description=_("project"), ordering="project_id")
    def project_subject(self, event: Event) -> str:
        return _subject(event, "project")

    @admin.display(description=_("file"))
    def file_subject(self, event: Event) -> str:
        return _subject(event, "file")

    @admin.display(description=_("credential"))
    def credential_method(self, event: Event) -> str:
        return event.credential.get("method", "")

    @admin.display(description=_("IP hash"))
    def short_ip_hash(self, event: Event) -> str:
        return event.ip_hash[:12]

    @admin.display(description=_("credential"))
    def credential_json(self, event: Event) -> str:
        return json.dumps(event.credential, indent=2, sort_keys=True)

    @admin.display(description=_("additional"))
    def additional_json(self, event: Event) -> str:
        return json.dumps(event.additional, indent=2, sort_keys=True)
