"""The packaging admin: projects, releases and files to look at and remove; prohibited names.

Nothing here adds or edits a release or a file by hand: they come from uploads only. Removing
goes through ``cheeseshop.packaging.changes`` (the same service the maintainer pages use), after
a confirmation page, so that the index pages, the audit trail and the filename registry stay
right. Django's own delete is switched off for these models.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cheeseshop.admin import ReadOnlyInline, ViewOnly
from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import ADMIN, record_event
from cheeseshop.packaging import changes
from cheeseshop.packaging.models import (
    File,
    FilenameRegistry,
    ProhibitedProjectName,
    Project,
    Release,
    Role,
)
from cheeseshop.packaging.names import PROJECT_NAME_RE, normalize_name

CONFIRM_REMOVAL_TEMPLATE = "admin/packaging/confirm_removal.html"


class _ViewOnlyAdmin(ViewOnly, admin.ModelAdmin):
    """Rows that only uploads create: the admin looks, and removes through ``changes``."""

    def has_remove_permission(self, request) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.delete_{opts.model_name}")


def remove_after_confirmation(modeladmin, request, queryset, *, action, delete, describe):
    """Show what removing ``queryset`` takes away; once confirmed, ``delete`` each object.

    ``delete`` is the ``changes`` service's delete function for the objects' model, called as
    this admin; a refusal is reported and the others go on.
    """
    if request.POST.get("post") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            # Translators: the admin's confirmation page title; %(objects)s is a model's plural
            # name ("files", "releases").
            "title": _("Remove %(objects)s") % {"objects": model_ngettext(queryset)},
            "subtitle": None,
            "opts": modeladmin.opts,
            "queryset": queryset,
            "descriptions": [describe(obj) for obj in queryset],
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": modeladmin.media,
        }
        return TemplateResponse(request, CONFIRM_REMOVAL_TEMPLATE, context)
    removed = 0
    for obj in list(queryset):
        try:
            delete(obj, actor=request.user, request=request, credential=ADMIN, admin=True)
        except changes.ChangeRefused as refusal:
            modeladmin.message_user(
                request,
                # Translators: %(object)s names what an admin tried to remove (a file, a release, a
                # project); %(reason)s says why it stayed.
                _("%(object)s was not removed: %(reason)s")
                % {"object": obj, "reason": refusal.message},
                messages.ERROR,
            )
        else:
            removed += 1
    if removed:
        modeladmin.message_user(
            request,
            # Translators: %(objects)s is the model's name, singular or plural to agree with the
            # count ("file", "files").
            _("Removed %(count)d %(objects)s.")
            % {"count": removed, "objects": model_ngettext(modeladmin.opts, removed)},
            messages.SUCCESS,
        )
    return None


def _count_files(count: int) -> str:
    return ngettext("%(count)d file", "%(count)d files", count) % {"count": count}


class RoleInline(ReadOnlyInline):
    model = Role
    fields = ("user", "role_name", "created")
    readonly_fields = fields


class ReleaseInline(ReadOnlyInline):
    model = Release
    fields = ("version", "created", "yanked", "uploader")
    readonly_fields = fields
    ordering = ("-created",)
    show_change_link = True


class FileInline(ReadOnlyInline):
    model = File
    fields = ("filename", "packagetype", "size", "upload_time", "uploader")
    readonly_fields = fields
    show_change_link = True


@admin.register(Project)
class ProjectAdmin(_ViewOnlyAdmin):
    list_display = ("name", "normalized_name", "status", "created", "last_serial")
    list_filter = ("status",)
    search_fields = ("name", "normalized_name")
    date_hierarchy = "created"
    inlines = (RoleInline, ReleaseInline)
    actions = ("remove_projects",)

    @admin.action(
        description=gettext_lazy("Remove the selected projects, their releases and files"),
        permissions=["remove"],
    )
    def remove_projects(self, request, queryset):
        def describe(project: Project) -> str:
            releases = project.releases.count()
            files = File.objects.filter(release__project=project).count()
            # Translators: one project an admin is about to remove: its name, then "3 releases" and
            # "12 files" (translated apart).
            return _("%(project)s: %(releases)s, %(files)s") % {
                "project": project.name,
                "releases": ngettext("%(count)d release", "%(count)d releases", releases)
                % {"count": releases},
                "files": _count_files(files),
            }

        return remove_after_confirmation(
            self,
            request,
            queryset,
            action="remove_projects",
            describe=describe,
            delete=changes.delete_project,
        )


@admin.register(Release)
class ReleaseAdmin(_ViewOnlyAdmin):
    list_display = ("__str__", "project", "version", "created", "yanked", "is_prerelease")
    list_filter = ("yanked", "is_prerelease")
    list_select_related = ("project",)
    search_fields = ("project__normalized_name", "project__name", "=version")
    date_hierarchy = "created"
    inlines = (FileInline,)
    actions = ("remove_releases",)

    @admin.action(
        description=gettext_lazy("Remove the selected releases and their files"),
        permissions=["remove"],
    )
    def remove_releases(self, request, queryset):
        return remove_after_confirmation(
            self,
            request,
            queryset.select_related("project"),
            action="remove_releases",
            describe=lambda release: (
                # Translators: one release an admin is about to remove ("brie-parser 1.0"), then
                # "12 files" (translated apart).
                _("%(release)s: %(files)s")
                % {"release": release, "files": _count_files(release.files.count())}
            ),
            delete=changes.delete_release,
        )


@admin.register(File)
class FileAdmin(_ViewOnlyAdmin):
    list_display = ("filename", "release", "packagetype", "size", "upload_time", "uploader")
    list_filter = ("packagetype",)
    list_select_related = ("release__project", "uploader")
    search_fields = (
        "filename",
        "=sha256_digest",
        "=blake2_256_digest",
        "release__project__normalized_name",
    )
    date_hierarchy = "upload_time"
    actions = ("remove_files",)

    @admin.action(description=gettext_lazy("Remove the selected files"), permissions=["remove"])
    def remove_files(self, request, queryset):
        return remove_after_confirmation(
            self,
            request,
            queryset.select_related("release__project"),
            action="remove_files",
            describe=lambda file: file.filename,
            delete=changes.delete_file,
        )


@admin.register(FilenameRegistry)
class FilenameRegistryAdmin(_ViewOnlyAdmin):
    """Every filename ever uploaded: a name listed here can never be uploaded again."""

    list_display = ("filename", "created")
    search_fields = ("filename",)
    actions = None


class ProhibitedProjectNameForm(forms.ModelForm):
    class Meta:
        model = ProhibitedProjectName
        fields = ("name", "comment")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not PROJECT_NAME_RE.match(name):
            raise ValidationError(
                _(
                    "'%(name)s' is not a valid project name: use ASCII letters, digits and "
                    "'.', '_', '-' (not at either end)."
                )
                % {"name": name},
                code="invalid",
            )
        normalized = normalize_name(name)
        if ProhibitedProjectName.objects.filter(name=normalized).exists():
            raise ValidationError(
                _("The name '%(name)s' is already prohibited.") % {"name": normalized},
                code="unique",
            )
        return normalized


@admin.register(ProhibitedProjectName)
class ProhibitedProjectNameAdmin(admin.ModelAdmin):
    form = ProhibitedProjectNameForm
    list_display = ("name", "comment", "prohibited_by", "created")
    list_select_related = ("prohibited_by",)
    search_fields = ("name", "comment")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "comment")
        return ("name", "comment", "prohibited_by", "created")

    def get_readonly_fields(self, request, obj=None):
        # The name is the prohibition itself: change it by removing and adding.
        if obj is None:
            return ()
        return ("name", "prohibited_by", "created")

    def save_model(self, request, obj: ProhibitedProjectName, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.prohibited_by = request.user
        super().save_model(request, obj, form, change)
        self._record(request, EventTag.ADMIN_PROHIBITED_NAME_ADD, obj)
        if Project.objects.filter(normalized_name=obj.name).exists():
            self.message_user(
                request,
                _(
                    "A project named '%(name)s' exists already; prohibiting the name does not "
                    "remove it."
                )
                % {"name": obj.name},
                messages.WARNING,
            )

    def delete_model(self, request, obj: ProhibitedProjectName) -> None:
        with transaction.atomic():
            self._record(request, EventTag.ADMIN_PROHIBITED_NAME_REMOVE, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record(request, EventTag.ADMIN_PROHIBITED_NAME_REMOVE, obj)
            super().delete_queryset(request, queryset)

    @staticmethod
    def _record(request, tag: EventTag, obj: ProhibitedProjectName) -> None:
        record_event(
            tag,
            request=request,
            actor=request.user,
            credential=ADMIN,
            additional={"name": obj.name, "comment": obj.comment},
        )
