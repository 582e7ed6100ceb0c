"""Every URL pattern of the site is either browsed by the accessibility test or excluded with a
reason: a new page added without being listed fails here (no browser needed)."""

from django.contrib import admin
from django.test import RequestFactory
from django.urls import get_resolver

from cheeseshop.accounts.models import User
from tests.a11y.pages import (
    ADMIN_MODEL_EXCLUDED,
    ADMIN_MODEL_REFUSED,
    EXCLUDED,
    NOT_FOUND,
    ROLES,
    all_pages,
    walk_routes,
)


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_staff=True, is_superuser=True, is_active=True)
    return request


def excluded_routes() -> dict[str, str]:
    """``EXCLUDED``, plus each registered model's routes that are not pages of their own."""
    request = _superuser_request()
    excluded = dict(EXCLUDED)
    for model, model_admin in admin.site._registry.items():
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for suffix, reason in ADMIN_MODEL_EXCLUDED.items():
            excluded[base + suffix] = reason
        if not model_admin.has_add_permission(request):
            excluded[base + "add/"] = ADMIN_MODEL_REFUSED["add/"]
        if not model_admin.has_delete_permission(request):
            suffix = "<path:object_id>/delete/"
            excluded[base + suffix] = ADMIN_MODEL_REFUSED[suffix]
    return excluded


def unlisted_routes(urlconf=None) -> list[str]:
    """The site's URL patterns (of ``urlconf``) neither browsed nor excluded."""
    browsed = {page.route for page in all_pages()}
    excluded = excluded_routes()
    return sorted(
        route
        for route in set(walk_routes(get_resolver(urlconf)))
        if route not in browsed and route not in excluded
    )


def test_every_url_pattern_is_browsed_or_excluded_with_a_reason():
    assert unlisted_routes() == [], (
        "pages the accessibility test does not know: add them to tests/a11y/pages.py "
        "(SITE_PAGES, or EXCLUDED with the reason)"
    )


def test_a_new_page_that_is_not_listed_is_reported():
    assert unlisted_routes("tests.a11y.urls_with_a_new_page") == ["a-new-page/"]


def test_every_listed_route_exists():
    routes = set(walk_routes())
    listed = {page.route for page in all_pages() if page.route != NOT_FOUND}
    listed |= set(excluded_routes())
    assert sorted(listed - routes) == []


def test_no_route_is_both_browsed_and_excluded():
    browsed = {page.route for page in all_pages()}
    assert sorted(browsed & set(excluded_routes())) == []


def test_each_page_has_a_known_role_and_its_own_name():
    pages = all_pages()
    assert {page.role for page in pages} <= set(ROLES)
    names = [page.name for page in pages]
    assert len(names) == len(set(names))
