import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cheeseshop.web.readme import release_readme_html
from tests.index.builders import make_file, make_project, make_release
from tests.web.pages import get_page

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_description_html_stored_at_upload():
    release = make_release(
        make_project("stored"), description="*rendered*", description_html="<p>stored</p>"
    )
    assert release_readme_html(release) == "<p>stored</p>"


def test_code_languages_stored_as_lang_are_shown_as_classes():
    # HTML stored before the change still has cmarkgfm's <pre lang>: lang is for human languages.
    stored = '<pre lang="python"><span class="n">x</span></pre>'
    release = make_release(make_project("stored"), description_html=stored)
    assert release_readme_html(release) == (
        '<pre class="language-python"><span class="n">x</span></pre>'
    )


def test_the_release_page_never_renders_the_description(client):
    make_file(
        make_release(
            make_project("stored"),
            description="Title\n=====\n\n*rendered on each view*\n",
            description_html="<p>rendered at upload</p>",
        )
    )
    html = get_page(client, "/project/stored/")
    assert "<p>rendered at upload</p>" in html
    assert "rendered on each view" not in html


def test_the_release_page_does_not_read_the_description_source(client):
    make_file(make_release(make_project("lean"), description="x" * 10_000))
    with CaptureQueriesContext(connection) as queries:
        get_page(client, "/project/lean/")
    release_queries = [q["sql"] for q in queries if 'FROM "packaging_release"' in q["sql"]]
    assert release_queries
    assert all('"packaging_release"."description",' not in sql for sql in release_queries)
