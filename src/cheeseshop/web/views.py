"""The public pages: home, search, project, release and user profile.

Names in URLs are redirected (301) to their normalized spelling, as PyPI does, so every page has
one address; quarantined projects and unknown names are 404s.
"""

from django.contrib.auth import get_user_model
from django.core.paginator import InvalidPage
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import csrf
from django.views.decorators.http import require_safe
from packaging.utils import canonicalize_name

from cheeseshop.packaging.models import Project, Release
from cheeseshop.packaging.versions import find_release, latest_release
from cheeseshop.web import search as project_search
from cheeseshop.web.readme import release_readme_html
from cheeseshop.web.services import (
    build_release_page,
    find_visible_project,
    latest_releases,
    load_release,
    releases_newest_first,
    site_counts,
    user_roles,
)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/home.html",
        {"counts": site_counts(), "latest_releases": latest_releases()},
    )


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context = {"search_query": query, "page": None, "max_search_terms": project_search.MAX_TERMS}
    try:
        terms = project_search.query_terms(query)
    except project_search.SearchQueryRefused as refusal:
        # The form again, with the rule the query broke; not the query, which may be huge.
        context |= {"search_query": "", "search_error": refusal.message}
        return render(request, "web/search.html", context, status=400)
    if terms:
        try:
            context["page"] = project_search.search_page(query, request.GET.get("page"))
        except InvalidPage:
            raise Http404(_("There is no such page of search results.")) from None
    return render(request, "web/search.html", context)


def _project_or_404(normalized_name: str) -> Project:
    project = find_visible_project(normalized_name)
    if project is None:
        raise Http404(
            _("No project named “%(name)s” is on this index.") % {"name": normalized_name}
        )
    return project


def _render_release(
    request: HttpRequest,
    project: Project,
    history: list[Release],
    release: Release,
    *,
    is_project_page: bool,
) -> HttpResponse:
    shown = load_release(release)
    page = build_release_page(project, shown, history, latest_release(history) or shown)
    return render(
        request,
        "web/release.html",
        {
            "page": page,
            "project": project,
            "release": shown,
            "readme_html": release_readme_html(shown),
            "is_project_page": is_project_page,
        },
    )


@require_safe
def project_detail(request: HttpRequest, name: str) -> HttpResponse:
    normalized_name = canonicalize_name(name)
    if normalized_name != name:
        return HttpResponsePermanentRedirect(
            reverse("web:project", kwargs={"name": normalized_name})
        )
    found = _project_or_404(normalized_name)
    history = releases_newest_first(found)
    shown = latest_release(history)
    if shown is None:
        raise Http404(_("Project “%(name)s” has no releases.") % {"name": found.name})
    return _render_release(request, found, history, shown, is_project_page=True)


@require_safe
def release_detail(request: HttpRequest, name: str, version: str) -> HttpResponse:
    normalized_name = canonicalize_name(name)
    if normalized_name != name:
        return HttpResponsePermanentRedirect(
            reverse("web:release", kwargs={"name": normalized_name, "version": version})
        )
    found = _project_or_404(normalized_name)
    history = releases_newest_first(found)
    shown = find_release(history, version)
    if shown is None:
        raise Http404(
            _("Project “%(name)s” has no release “%(version)s”.")
            % {"name": found.name, "version": version}
        )
    if shown.version != version:
        # "1.0" names release "1.0.0": one address per release, its own spelling.
        return HttpResponsePermanentRedirect(
            reverse("web:release", kwargs={"name": normalized_name, "version": shown.version})
        )
    return _render_release(request, found, history, shown, is_project_page=False)


@require_safe
def user_profile(request: HttpRequest, username: str) -> HttpResponse:
    users = get_user_model().objects.filter(is_active=True)
    profile = users.filter(username=username).first()
    if profile is None:
        profile = users.filter(username__iexact=username).first()
        if profile is None:
            raise Http404(_("No user named “%(name)s” is on this index.") % {"name": username})
        return HttpResponsePermanentRedirect(
            reverse("web:user", kwargs={"username": profile.username})
        )
    return render(request, "web/user.html", {"profile": profile, "roles": user_roles(profile)})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (403), in JSON for a request that sent JSON (``/api/tokens/``)."""
    if request.content_type == "application/json":
        return JsonResponse(
            {
                "error": _(
                    "CSRF verification failed: a signed-in request must carry the CSRF token."
                )
            },
            status=403,
        )
    return csrf.csrf_failure(request, reason)
