"""Project search by name and summary, ranked, with the ORM only (SQLite and PostgreSQL).

Ranking: the exact normalized name first, then names starting with the query, then names
containing it, then projects whose summary contains every word of the query; ties go to the
project released most recently.

On PostgreSQL the summary's words are matched by full-text search (English stemming: "parsers"
finds "a parser"; stop words such as "the" are left out) through a GIN index on the releases'
summaries, and names through a trigram index, so a search reads the matching rows, not every
project (packaging/0005_project_search_index). A word with no letter or digit ("%", "&") has no
lexeme to search for: it is matched as a substring, as on SQLite, which matches every word as a
substring of the summary.

Each word is one more condition on every project, so the query is bounded before it reaches the
database: 1,100 words took seconds on PostgreSQL and were too large an expression for SQLite.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from packaging.utils import canonicalize_name

from cheeseshop.errors import Invalid
from cheeseshop.packaging.models import Project, Release
from cheeseshop.packaging.versions import latest_release

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 300  # characters
MAX_TERMS = 10  # words
MAX_TERM_LENGTH = 200  # characters: the longest project name
# PostgreSQL's text search configuration for summaries: English stemming and stop words.
SEARCH_CONFIG = "english"


class SearchQueryRefused(Invalid):
    """A query over the bounds above; ``message`` says which."""


class Rank:
    EXACT_NAME = 0
    NAME_PREFIX = 1
    NAME_CONTAINS = 2
    SUMMARY = 3


@dataclass(frozen=True)
class SearchHit:
    project: Project
    release: Release | None


def query_terms(query: str) -> list[str]:
    """The words of ``query``. Raises SearchQueryRefused for a query over the bounds."""
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryRefused(
            _("The search is too long: at most %(max)d characters.") % {"max": MAX_QUERY_LENGTH}
        )
    terms = query.split()
    if len(terms) > MAX_TERMS:
        raise SearchQueryRefused(
            ngettext(
                "The search has too many words: at most %(max)d word.",
                "The search has too many words: at most %(max)d words.",
                MAX_TERMS,
            )
            % {"max": MAX_TERMS}
        )
    if any(len(term) > MAX_TERM_LENGTH for term in terms):
        raise SearchQueryRefused(
            _("A word of the search is too long: at most %(max)d characters.")
            % {"max": MAX_TERM_LENGTH}
        )
    return terms


def _name_key(terms: list[str]) -> str:
    # Words joined with a separator: "django rest" finds "django-rest-framework".
    return canonicalize_name("-".join(terms))


def _latest_summary_matches(terms: list[str]) -> QuerySet[Release]:
    """The ids of projects whose newest release's summary has every one of ``terms``."""
    releases = Release.objects.all()
    if connection.vendor == "postgresql":
        words = [term for term in terms if any(c.isalnum() for c in term)]
        terms = [term for term in terms if term not in words]
        if words:
            # The same expression as the index (packaging/0005_project_search_index).
            from django.contrib.postgres.search import SearchQuery, SearchVector

            releases = releases.annotate(
                summary_search=SearchVector("summary", config=SEARCH_CONFIG)
            ).filter(summary_search=SearchQuery(" ".join(words), config=SEARCH_CONFIG))
    for term in terms:
        releases = releases.filter(summary__icontains=term)
    # The summary searched is the one the project's newest upload declared (a non-yanked one
    # when there is one), so an old release's summary does not keep a project in the results.
    newest = Release.objects.filter(project=OuterRef("project")).order_by(
        "yanked", "-created", "-pk"
    )
    return releases.filter(pk=Subquery(newest.values("pk")[:1])).order_by().values("project_id")


def search_projects(query: str) -> QuerySet[Project]:
    """Visible projects with at least one release matching ``query``, best match first.

    Raises SearchQueryRefused for a query over the bounds."""
    terms = query_terms(query)
    if not terms:
        return Project.objects.none()
    name_key = _name_key(terms)
    releases = Release.objects.filter(project=OuterRef("pk"))
    # Both halves are indexed on PostgreSQL: the union is what the rest of the query reads.
    # Projects without a release are left out here, where names matched (summaries come from
    # releases), rather than by a test of every match.
    name_matches = (
        Project.objects.filter(normalized_name__contains=name_key)
        .filter(Exists(releases))
        .order_by()
        .values("pk")
    )
    matches = name_matches.union(_latest_summary_matches(terms))
    last_released = Subquery(releases.order_by("-created", "-pk").values("created")[:1])
    return (
        Project.objects.visible()
        .filter(pk__in=matches)
        .annotate(last_released=last_released)
        .annotate(
            rank=Case(
                When(normalized_name=name_key, then=Value(Rank.EXACT_NAME)),
                When(normalized_name__startswith=name_key, then=Value(Rank.NAME_PREFIX)),
                When(normalized_name__contains=name_key, then=Value(Rank.NAME_CONTAINS)),
                default=Value(Rank.SUMMARY),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-last_released", "normalized_name")
    )


def search_page(query: str, page_number: str | int | None) -> Page:
    """One page of results (20 to a page); its ``object_list`` holds ``SearchHit``s.

    Raises ``django.core.paginator.InvalidPage`` for a page number that is not a positive
    integer or lies past the last page, SearchQueryRefused for a query over the bounds.
    """
    paginator = Paginator(search_projects(query), PAGE_SIZE)
    page = paginator.page(page_number or 1)
    projects = list(page.object_list)
    releases_by_project: dict[int, list[Release]] = {project.pk: [] for project in projects}
    for release in Release.objects.filter(project__in=projects).only(
        "project_id", "version", "summary", "yanked", "is_prerelease", "created"
    ):
        releases_by_project[release.project_id].append(release)
    page.object_list = [
        SearchHit(project, latest_release(releases_by_project[project.pk])) for project in projects
    ]
    return page
