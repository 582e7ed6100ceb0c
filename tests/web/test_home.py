import re
from datetime import UTC, datetime, timedelta

import pytest

from cheeseshop.accounts.services import create_user
from cheeseshop.packaging.models import ProjectStatus, Release
from cheeseshop.web.services import LATEST_RELEASES_SHOWN, site_counts
from tests.index.builders import make_file, make_project, make_release
from tests.web.pages import get_page

pytestmark = pytest.mark.django_db


def released(project, version, *, days, **fields):
    release = make_release(project, version, **fields)
    Release.objects.filter(pk=release.pk).update(
        created=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=days)
    )
    return release


def test_counts_leave_out_quarantined_projects_and_inactive_users():
    shown = make_project("shown")
    make_file(make_release(shown, "1.0"))
    make_file(make_release(shown, "2.0"), "shown-2.0.tar.gz")
    hidden = make_project("hidden", status=ProjectStatus.QUARANTINED)
    make_file(make_release(hidden, "1.0"))
    create_user("active", "active@example.com")
    inactive = create_user("inactive", "inactive@example.com")
    inactive.is_active = False
    inactive.save()

    counts = site_counts()

    assert (counts.projects, counts.releases, counts.files, counts.users) == (1, 2, 2, 1)


def test_home_page_has_a_search_box_and_the_counts(client):
    make_file(make_release(make_project("cheese"), "1.0"))
    html = get_page(client, "/")

    assert 'action="/search/"' in html
    assert 'id="home-search"' in html
    for term, count in [("Projects", 1), ("Releases", 1), ("Files", 1), ("Users", 0)]:
        assert re.search(rf"<dt>{term}</dt>\s*<dd>\s*{count}\s*</dd>", html), term


def test_latest_releases_are_newest_first_without_yanked_or_quarantined(client):
    project = make_project("cheese")
    released(project, "1.0", days=1, summary="First")
    released(project, "2.0", days=3, summary="Second")
    released(project, "3.0", days=5, yanked=True)
    released(make_project("bad", status=ProjectStatus.QUARANTINED), "9.0", days=9)
    html = get_page(client, "/")

    assert html.index("/project/cheese/2.0/") < html.index("/project/cheese/1.0/")
    assert "/project/cheese/3.0/" not in html
    assert "/project/bad/" not in html
    assert "Second" in html


def test_latest_releases_are_limited(client):
    project = make_project("many")
    for number in range(LATEST_RELEASES_SHOWN + 3):
        released(project, f"1.{number}", days=number)
    html = get_page(client, "/")

    assert html.count("/project/many/1.") == LATEST_RELEASES_SHOWN
    assert "/project/many/1.0/" not in html


def test_an_empty_index_says_nothing_is_published(client):
    html = get_page(client, "/")
    assert "Nothing has been published yet." in html
