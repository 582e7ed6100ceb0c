from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from cheeseshop.packaging.models import PackageType, Project, Release
from cheeseshop.prepared import PreparedQuery, PreparedUpdate
from tests.index.builders import make_file, make_project, make_release
from tests.upload.conftest import packages_dir  # noqa: F401  (per-test storage directory)

pytestmark = pytest.mark.django_db


def test_a_prepared_query_answers_as_its_queryset_does_for_each_set_of_values():
    alpha, beta = make_project("alpha"), make_project("beta")
    for project, version in [(alpha, "1.0"), (alpha, "2.0"), (beta, "1.0")]:
        make_release(project, version)
    query = PreparedQuery(
        lambda project_id, version: (
            Release.objects.filter(project_id=project_id, version=version)
            .order_by()
            .values_list("pk", "version")
        ),
        -1,
        "\0version",
    )

    for project, version in [(alpha, "2.0"), (beta, "1.0"), (beta, "2.0")]:
        expected = list(
            Release.objects.filter(project=project, version=version).values_list("pk", "version")
        )
        assert query.rows(project.pk, version) == expected


def test_constants_of_the_query_stay_and_placeholders_may_come_in_any_order():
    project = make_project("mixed")
    release = make_release(project, "1.0")
    make_file(release, "mixed-1.0.tar.gz")
    wheel_only = make_release(project, "2.0")
    make_file(wheel_only)
    query = PreparedQuery(
        # The placeholders' order differs from their order in the SQL, and a constant
        # ("sdist") sits between them.
        lambda name, release_id: Project.objects.filter(
            Q(releases__files__packagetype=PackageType.SDIST) & Q(releases__pk=release_id),
            normalized_name=name,
        ).values_list("name"),
        "\0name",
        -1,
    )

    assert query.rows("mixed", release.pk) == [("mixed",)]
    assert query.first("mixed", wheel_only.pk) is None
    assert query.first("other", release.pk) is None


def test_the_query_is_compiled_once_and_run_each_time():
    make_project("once")
    built = []

    def build(name):
        built.append(name)
        return Project.objects.filter(normalized_name=name).values_list("name")

    query = PreparedQuery(build, "\0name")
    with CaptureQueriesContext(connection) as queries:
        assert query.first("once") == ("once",)
        assert query.first("twice") is None
    assert built == ["\0name"]
    assert len(queries.captured_queries) == 2


def test_rows_are_converted_as_the_queryset_converts_them():
    project = make_project("typed")
    make_release(project, "1.0", yanked=True, classifiers=["Framework :: Django"])
    query = PreparedQuery(
        lambda project_id: Release.objects.filter(project_id=project_id).values_list(
            "yanked", "created", "classifiers"
        ),
        -1,
    )

    expected = list(
        Release.objects.filter(project=project).values_list("yanked", "created", "classifiers")
    )
    assert query.rows(project.pk) == expected
    yanked, created, classifiers = query.rows(project.pk)[0]
    assert yanked is True
    assert created.tzinfo is not None
    assert classifiers == ["Framework :: Django"]


def test_a_prepared_update_sets_the_fields_of_the_rows_with_that_key():
    kept, changed = make_project("kept"), make_project("changed")
    update = PreparedUpdate(Project, ["name", "last_serial"])

    assert update.run(changed.pk, "Changed", 42) == 1
    assert update.run(-1, "Nobody", 1) == 0

    assert Project.objects.values_list("name", "last_serial").get(pk=changed.pk) == (
        "Changed",
        42,
    )
    assert Project.objects.values_list("name", "last_serial").get(pk=kept.pk) == ("kept", 1)


def test_a_prepared_update_adapts_values_as_the_fields_do():
    project = make_project("dated")
    release = make_release(project, "1.0")
    update = PreparedUpdate(Release, ["yanked", "created", "classifiers"], key="project")
    moment = datetime(2020, 2, 3, 4, 5, 6, 789, tzinfo=UTC)

    assert update.run(project.pk, True, moment, ["Topic :: Utilities"]) == 1

    release.refresh_from_db()
    assert (release.yanked, release.created, release.classifiers) == (
        True,
        moment,
        ["Topic :: Utilities"],
    )
