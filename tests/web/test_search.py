from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction

from cheeseshop.packaging.models import Project, ProjectStatus, Release
from cheeseshop.web.search import (
    MAX_QUERY_LENGTH,
    MAX_TERM_LENGTH,
    MAX_TERMS,
    PAGE_SIZE,
    SearchQueryRefused,
    query_terms,
    search_projects,
)
from tests.index.builders import make_project, make_release
from tests.web.pages import get_page

pytestmark = pytest.mark.django_db

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def published(name: str, *, summary: str = "", days: int = 0, status=ProjectStatus.ACTIVE):
    """A project with one release, released ``days`` days after EPOCH."""
    project = make_project(name, status=status)
    release = make_release(project, "1.0", summary=summary)
    Release.objects.filter(pk=release.pk).update(created=EPOCH + timedelta(days=days))
    return project


def names(query: str) -> list[str]:
    return [project.name for project in search_projects(query)]


def test_ranking_is_exact_name_then_prefix_then_contains_then_summary():
    published("my-cheese", days=4)
    published("cheese-tools", days=3)
    published("grater", summary="Grates CHEESE finely", days=5)
    published("cheese", days=1)
    published("unrelated", summary="nothing here", days=6)

    assert names("cheese") == ["cheese", "cheese-tools", "my-cheese", "grater"]


def test_ties_go_to_the_most_recent_release():
    published("cheese-old", days=1)
    published("cheese-new", days=9)
    published("cheese-mid", days=5)

    assert names("cheese") == ["cheese-new", "cheese-mid", "cheese-old"]


def test_the_query_is_normalized_like_a_project_name():
    published("cheese-tools", days=1)
    published("cheese-tools-extra", days=2)

    assert names("Cheese_Tools") == ["cheese-tools", "cheese-tools-extra"]
    assert names("cheese tools") == ["cheese-tools", "cheese-tools-extra"]


def test_every_word_must_appear_in_the_summary():
    published("a", summary="Fast cheese slicing")
    published("b", summary="Fast bread slicing")

    assert names("cheese fast") == ["a"]


def test_only_the_newest_releases_summary_is_searched():
    project = published("renamed", summary="brand new words")
    old = make_release(project, "0.1", summary="ancient words")
    Release.objects.filter(pk=old.pk).update(created=EPOCH - timedelta(days=30))

    assert names("brand") == ["renamed"]
    assert names("ancient") == []


def test_like_wildcards_in_the_query_are_literal():
    published("cheese", summary="a 100% cheese")
    published("other", summary="plain")

    assert names("%") == ["cheese"]
    assert names("_") == []


def test_quarantined_projects_and_projects_without_releases_never_appear():
    published("cheese-hidden", status=ProjectStatus.QUARANTINED)
    make_project("cheese-empty")
    published("cheese-shown")

    assert names("cheese") == ["cheese-shown"]


def test_a_blank_query_finds_nothing():
    published("cheese")
    assert names("   ") == []


def test_empty_query_shows_a_hint(client):
    html = get_page(client, "/search/")

    assert "Type a project name" in html
    assert "project-list" not in html


def test_search_page_lists_results_with_version_and_summary(client):
    published("cheese", summary="The best <cheese>")
    html = get_page(client, "/search/?q=cheese")

    assert "1 project found." in html
    assert 'href="/project/cheese/">cheese</a>' in html
    assert "The best &lt;cheese&gt;" in html
    assert 'value="cheese"' in html


def test_search_page_shows_the_latest_stable_version(client):
    project = published("cheese")
    make_release(project, "2.0b1")
    make_release(project, "3.0", yanked=True)
    html = get_page(client, "/search/?q=cheese")

    assert '<span class="mono">1.0</span>' in html


def test_search_page_says_when_nothing_matches(client):
    html = get_page(client, "/search/?q=nothing")

    assert "0 projects found." in html
    assert "No project matches your search." in html


def test_results_are_paginated_twenty_to_a_page(client):
    for number in range(PAGE_SIZE * 2 + 5):
        published(f"cheese-{number:02d}", days=number)

    first = get_page(client, "/search/?q=cheese")
    last = get_page(client, "/search/?q=cheese&page=3")

    assert first.count('class="name"') == PAGE_SIZE
    assert "cheese-44" in first
    assert "Page 1 of 3" in first
    assert 'href="/search/?q=cheese&amp;page=2">Next page' in first
    assert "Previous page" not in first
    assert last.count('class="name"') == 5
    assert "cheese-00" in last
    assert 'href="/search/?q=cheese&amp;page=2">Previous page' in last
    assert "Next page" not in last


def test_pagination_keeps_the_query_encoded(client):
    for number in range(PAGE_SIZE + 1):
        published(f"cheese-{number:02d}", summary="a & b")
    html = get_page(client, "/search/?q=a+%26+b")

    assert 'href="/search/?q=a%20%26%20b&amp;page=2"' in html


@pytest.mark.parametrize("page", ["4", "0", "-1", "x"])
def test_pages_that_do_not_exist_are_404(client, page):
    for number in range(PAGE_SIZE * 2 + 5):
        published(f"cheese-{number:02d}")
    get_page(client, f"/search/?q=cheese&page={page}", status=404)


def test_quarantined_projects_are_not_listed(client):
    published("cheese", status=ProjectStatus.QUARANTINED)
    html = get_page(client, "/search/?q=cheese")

    assert "/project/cheese/" not in html


# -- bounds: every word is one more condition on every project


OVER_THE_BOUNDS = [
    pytest.param(" ".join(["cheese"] * 11), "too many words: at most 10 words", id="11-words"),
    pytest.param(
        " ".join(f"w{n}" for n in range(1100)), "at most 300 characters", id="1100-words"
    ),
    pytest.param(" ".join("ab" for _ in range(40)), "too many words", id="40-short-words"),
    pytest.param("c" * 201, "A word of the search is too long", id="one-long-word"),
    pytest.param("a " + "c" * 250, "A word of the search is too long", id="a-long-second-word"),
    pytest.param("cheese " * 50, "The search is too long", id="301-characters"),
]


@pytest.mark.parametrize(("query", "rule"), OVER_THE_BOUNDS)
def test_a_search_over_the_bounds_is_refused_with_400_saying_which(client, query, rule):
    published("cheese", summary="cheese " * 20)
    html = get_page(client, "/search/?" + urlencode({"q": query}), status=400)

    assert rule in html
    assert 'role="alert"' in html
    assert "/project/cheese/" not in html
    assert f'value="{query}"' not in html  # the search box comes back empty


@pytest.mark.parametrize(("query", "rule"), OVER_THE_BOUNDS)
def test_query_terms_refuses_a_query_over_the_bounds(query, rule):
    with pytest.raises(SearchQueryRefused) as excinfo:
        query_terms(query)
    assert rule in excinfo.value.message


def test_a_search_at_the_bounds_is_answered(client):
    published("cheese", summary=" ".join(f"w{n}" for n in range(10)))
    published("c" * 200)

    assert names(" ".join(f"w{n}" for n in range(MAX_TERMS))) == ["cheese"]
    assert names("c" * MAX_TERM_LENGTH) == ["c" * 200]
    assert len(" ".join(["c" * 99, "c" * 99, "c" * 100])) == MAX_QUERY_LENGTH
    get_page(client, "/search/?" + urlencode({"q": " ".join(["c" * 99, "c" * 99, "c" * 100])}))


def test_the_search_boxes_say_how_long_a_search_may_be(client):
    for html in (get_page(client, "/"), get_page(client, "/search/")):
        assert f'maxlength="{MAX_QUERY_LENGTH}"' in html
    assert "At most 10 words and 300 characters." in get_page(client, "/search/")


# -- PostgreSQL: full-text search and its indexes (packaging/0005_project_search_index)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="full-text search and its indexes are PostgreSQL's; SQLite matches substrings",
)


@on_postgresql
def test_summary_words_are_stemmed_on_postgresql():
    published("tomlkit", summary="A TOML parser that keeps comments")
    published("other", summary="Parsing nothing at all")

    assert names("parsers") == ["tomlkit"]
    assert names("comment parser") == ["tomlkit"]
    assert names("keeping") == ["tomlkit"]


@on_postgresql
def test_stop_words_alone_do_not_match_every_summary_on_postgresql():
    published("cheese", summary="The best cheese")

    assert names("the") == []
    assert names("the cheese") == ["cheese"]


def plan(queryset) -> str:
    """The query plan PostgreSQL chooses when reading a whole table (or a whole index, the same
    on a table this small) is its last resort: an index it can use for a condition of this query
    shows up, one it cannot (another expression, another operator) does not."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return queryset.explain()


@on_postgresql
def test_a_search_reads_the_summary_and_name_indexes_not_every_row_on_postgresql():
    projects = Project.objects.bulk_create(
        Project(name=f"p{n}", normalized_name=f"p{n}", ultranormalized_name=f"p{n}")
        for n in range(2000)
    )
    Release.objects.bulk_create(
        Release(project=project, version="1.0", canonical_version="1", summary=f"tool {n}")
        for n, project in enumerate(projects)
    )
    published("cheddar", summary="A cheese parser")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE packaging_project, packaging_release")

    explained = plan(search_projects("cheese parsers"))

    assert "packaging_release_summary_search" in explained
    assert "packaging_project_name_trigram" in explained
    assert names("cheese parsers") == ["cheddar"]
