"""The API tokens admin: who holds which token, when it was used; revoking. Never the key."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy, ngettext

from cheeseshop.accounts.admin import show_on_user_page
from cheeseshop.admin import ReadOnlyInline
from cheeseshop.audit.services import ADMIN
from cheeseshop.tokens.models import APIToken
from cheeseshop.tokens.services import revoke_token


class APITokenInline(ReadOnlyInline):
    """A user's tokens, on their admin page."""

    model = APIToken
    # Never the key: it is the secret every token of this row is signed with.
    fields = ("id", "description", "created", "last_used", "revoked")
    readonly_fields = fields
    verbose_name = gettext_lazy("API token")
    verbose_name_plural = gettext_lazy("API tokens")


show_on_user_page(APITokenInline)


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = ("description", "user", "created", "last_used", "revoked")
    list_filter = (("revoked", admin.EmptyFieldListFilter), "created", "last_used")
    list_select_related = ("user",)
    search_fields = ("user__username", "description", "=id")
    # The key is the root secret of every copy of the token: it is never shown.
    fields = ("id", "user", "description", "caveats", "created", "last_used", "revoked")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False  # tokens are issued to their holder only, who sees the secret once

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked rows stay, so that files and events can still name them

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("tokens.delete_apitoken")

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        with transaction.atomic():
            count = sum(
                revoke_token(token, actor=request.user, credential=ADMIN, request=request)
                for token in queryset.filter(revoked__isnull=True).select_related("user")
            )
        self.message_user(
            request,
            ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", count)
            % {"count": count},
            messages.SUCCESS,
        )
