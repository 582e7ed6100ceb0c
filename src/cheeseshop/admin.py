"""Building blocks every app's admin uses."""

from django.contrib import admin


class ViewOnly:
    """For an admin or inline whose rows are looked at only: they change through the services
    that record their audit events."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(ViewOnly, admin.TabularInline):
    """Related rows on an object's admin page, to look at (and, with ``show_change_link``, to
    follow to their own page)."""

    extra = 0
    can_delete = False
    show_change_link = False
    # Every column header names its column (Django's tabular template leaves two empty).
    template = "admin/edit_inline/read_only_tabular.html"
