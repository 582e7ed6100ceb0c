"""The audit trail in the admin: read only, for everyone, always.

Two views of it: the model's list (search by id or name, filter by tag) and the *audit log*
(/admin/audit/event/log/): filters by user, project, tag, date range and IP, and exports of
what the filters select as CSV or JSON Lines, streamed.

Subjects are plain ids (a deleted project's events stay), so every subject is shown by name when
it still exists and by id either way.
"""

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cheeseshop.audit import export, history
from cheeseshop.audit.forms import AuditLogFilterForm
from cheeseshop.audit.models import Event, EventTag

AUDIT_LOG_PAGE_SIZE = 50


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
        "client_summary",
        "additional_json",
    )
    actions = None
    change_list_template = "admin/audit/event/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        # Columns added to the table later (chain hashes, parsed user agents...) are shown too.
        shown = {"credential", "additional", "actor", "user", "project", "file"} | set(self.fields)
        extra = [
            field.name
            for field in Event._meta.concrete_fields
            if field.name not in shown and not field.primary_key
        ]
        return [*self.fields, *extra]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_urls(self):
        # Before the model's own URLs: their "<path:object_id>/" would take these paths.
        view = self.admin_site.admin_view
        return [
            path("log/", view(self.audit_log_view), name="audit_event_log"),
            path("log/export.csv", view(self.export_csv_view), name="audit_event_export_csv"),
            path(
                "log/export.jsonl", view(self.export_jsonl_view), name="audit_event_export_jsonl"
            ),
            *super().get_urls(),
        ]

    def _check_may_view(self, request: HttpRequest) -> None:
        # admin_view already sent non-staff to the login page; staff need the view permission.
        if not self.has_view_permission(request):
            raise PermissionDenied

    def audit_log_view(self, request: HttpRequest) -> HttpResponse:
        self._check_may_view(request)
        form = AuditLogFilterForm(request.GET or None)
        valid = form.is_valid() if form.is_bound else True
        # Not select_related: filtering on a subject would make its join INNER and drop the
        # events of deleted subjects (no constraint keeps the ids valid).
        events = Event.objects.prefetch_related("actor", "user", "project", "file").order_by("-id")
        events = form.filter(events) if form.is_bound and valid else events
        page = Paginator(events if valid else Event.objects.none(), AUDIT_LOG_PAGE_SIZE)
        page = page.get_page(request.GET.get("page"))
        filters = request.GET.copy()
        filters.pop("page", None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Audit log"),
            "form": form,
            "page": page,
            "rows": [_log_row(event) for event in page],
            "filter_query": filters.urlencode() if valid else "",
        }
        return TemplateResponse(
            request, "admin/audit/event/audit_log.html", context, status=200 if valid else 400
        )

    def _export(self, request: HttpRequest, respond) -> HttpResponse:
        self._check_may_view(request)
        form = AuditLogFilterForm(request.GET)
        if not form.is_valid():
            problems = "; ".join(
                f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
            )
            return HttpResponseBadRequest(
                gettext("Nothing was exported; the filters are not valid: %(problems)s")
                % {"problems": problems},
                content_type="text/plain; charset=utf-8",
            )
        return respond(form.filter(Event.objects.all()))

    def export_csv_view(self, request: HttpRequest) -> HttpResponse:
        return self._export(request, export.csv_response)

    def export_jsonl_view(self, request: HttpRequest) -> HttpResponse:
        return self._export(request, export.jsonl_response)

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
        return history.short_ip_hash(event.ip_hash)

    @admin.display(description=_("credential"))
    def credential_json(self, event: Event) -> str:
        return json.dumps(event.credential, indent=2, sort_keys=True)

    @admin.display(description=_("client"))
    def client_summary(self, event: Event) -> str:
        return history.describe_user_agent(event.user_agent_info, event.user_agent)

    @admin.display(description=_("additional"))
    def additional_json(self, event: Event) -> str:
        return json.dumps(event.additional, indent=2, sort_keys=True)


def _log_row(event: Event) -> dict:
    return {
        "event": event,
        "actor": _subject(event, "actor"),
        "user": _subject(event, "user"),
        "project": _subject(event, "project"),
        "file": _subject(event, "file"),
        "credential": history.describe_credential(event.credential),
        "ip_hash": history.short_ip_hash(event.ip_hash),
        "client": history.describe_user_agent(event.user_agent_info, event.user_agent),
    }
