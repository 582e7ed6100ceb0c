"""The admin flags page: every kill switch listed, switched on or off, each change audited."""

from django import forms
from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cheeseshop.audit.models import EventTag
from cheeseshop.audit.services import ADMIN, record_event
from cheeseshop.flags.models import AdminFlag, FlagId
from cheeseshop.flags.services import ensure_flag_rows


class FlagRowForm(forms.ModelForm):
    """One row of the flags list. Its controls sit in table cells with no <label> of their own,
    so each is named for screen readers by its column and its flag ("Enabled: read-only")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Translators: the name of a control in the admin's flags list: the column
            # ("Enabled", "Show a banner", "Banner message") and the flag's id ("read-only").
            field.widget.attrs["aria-label"] = gettext("%(column)s: %(flag)s") % {
                "column": capfirst(field.label),
                "flag": self.instance.id,
            }


@admin.register(AdminFlag)
class AdminFlagAdmin(admin.ModelAdmin):
    list_display = ("id", "description", "enabled", "notify", "message")
    list_editable = ("enabled", "notify", "message")
    fields = ("id", "description", "enabled", "notify", "message")
    readonly_fields = ("id", "description")
    actions = None  # the flags are fixed: nothing to delete, nothing to do in bulk

    @admin.display(description=_("what it does"))
    def description(self, flag: AdminFlag) -> str:
        return FlagId(flag.id).label

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, **{"form": FlagRowForm, **kwargs})

    def changelist_view(self, request, extra_context=None):
        # A flag added to FlagId after the data migration still gets its row.
        ensure_flag_rows()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj: AdminFlag, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:
            record_event(
                EventTag.ADMIN_FLAG_CHANGE,
                request=request,
                actor=request.user,
                credential=ADMIN,
                additional={
                    "flag": obj.id,
                    "enabled": obj.enabled,
                    "notify": obj.notify,
                    "message": obj.message,
                    "changed": sorted(form.changed_data),
                },
            )
