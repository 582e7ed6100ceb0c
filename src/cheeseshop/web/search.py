"""Project search by name and summary, ranked, with the ORM only (SQLite and PostgreSQL).

Ranking: the exact normalized name first, then names starting with the query, then names
containing it, then projects whose summary contains every word of the query; ties go to the
project released most recently.

Each word is one more condition on every project, so the query is bounded before it reaches the
database: 1,100 words took seconds on PostgreSQL and were too large an expression for SQLite.
"""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
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


def search_projects(query: str) -> QuerySet[Project]:
    """Visible projects with at least one release matching ``query``, best match first.

    Raises SearchQueryRefused for a query over the bounds."""
    terms = query_terms(query)
    if not terms:
        return Project.objects.none()
    name_key = _name_key(terms)
    releases = Release.objects.filter(project=OuterRef("pk"))
    # The summary searched is the one the project's newest upload declared (a non-yanked one
    # when there is one), so an old release's summary does not keep a project in the results.
    latest_summary = Subquery(releases.order_by("yanked", "-created", "-pk").values("summary")[:1])
    last_released = Subquery(releases.order_by("-created", "-pk").values("created")[:1])
    summary_match = Q()
    for term in terms:
        summary_match &= Q(latest_summary__icontains=term)
    return (
        Project.objects.visible()
        .annotate(latest_summary=latest_summary, last_released=last_released)
        .filter(last_released__isnull=False)
        .filter(Q(normalized_name__contains=name_key) | summary_match)
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
