"""The signed-in user's own security pages, under /manage/account/: their security history (the
audit trail's events about them) and their choice of security notices."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cheeseshop.accounts.access import account_page
from cheeseshop.accounts.forms import NotificationSettingsForm
from cheeseshop.audit.forms import KindFilterForm
from cheeseshop.audit.history import ACCOUNT_KINDS, history_row
from cheeseshop.audit.models import Event

HISTORY_PAGE_SIZE = 25


def events_of_user(user):
    """Every event about the user's account or done by them, newest first."""
    return (
        Event.objects.filter(Q(user_id=user.pk) | Q(actor_id=user.pk))
        .prefetch_related("actor", "project")  # not a join: a subject may be deleted
        .order_by("-id")
    )


@account_page()
def account_history(request: HttpRequest) -> HttpResponse:
    form = KindFilterForm(request.GET or None, kinds=ACCOUNT_KINDS)
    status = 400 if form.is_bound and not form.is_valid() else 200
    events = form.filter(events_of_user(request.user))
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    # Where a request came from is shown only for the user's own requests and for those
    # made without signing in (failed logins on their account): not another person's.
    rows = [
        history_row(event, show_origin=event.actor_id in (None, request.user.pk)) for event in page
    ]
    context = {"form": form, "page": page, "rows": rows}
    return render(request, "accounts/security_history.html", context, status=status)


@account_page(methods=("GET", "POST"))
def notification_settings(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = NotificationSettingsForm(data, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        if form.cleaned_data["notify_non_critical"]:
            messages.success(request, _("You will be emailed all security notices."))
        else:
            messages.success(
                request,
                _(
                    "You will no longer be emailed about role changes and new API tokens; "
                    "notices of deletions and new collaborators still come."
                ),
            )
        return redirect("security:notifications")
    return render(request, "accounts/notification_settings.html", {"form": form})
