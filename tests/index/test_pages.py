import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import unquote, urljoin

import pytest

from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.index.services import refresh_project_pages
from cheeseshop.packaging.models import ProjectStatus
from tests.index.builders import make_file, make_project, make_release
from tests.index.checkers import SimpleHTML, pep691_detail_problems

pytestmark = pytest.mark.django_db

PAGE_URL = "https://index.example/simple/sample-project/"


def rendered(project) -> SimpleDetailPage:
    page = refresh_project_pages(project)
    assert page is not None
    page.refresh_from_db()
    return page


def detail_json(page: SimpleDetailPage) -> dict:
    return json.loads(bytes(page.json))


def detail_html(page: SimpleDetailPage) -> SimpleHTML:
    return SimpleHTML(bytes(page.html).decode())


@pytest.fixture
def project():
    project = make_project("Sample_Project", last_serial=7)
    old = make_release(project, "1.0", requires_python=">=3.8")
    make_file(old, "sample_project-1.0.tar.gz")
    make_file(old, metadata=b"Metadata-Version: 2.4\nName: Sample_Project\nVersion: 1.0\n")
    new = make_release(project, "1.10", yanked=True, yanked_reason='broke "<everything>" & more')
    make_file(new)
    make_release(project, "1.2")  # a release whose files were all deleted
    return project


def test_json_page_satisfies_pep691_and_its_additions(project):
    document = detail_json(rendered(project))

    assert pep691_detail_problems(document) == []
    assert document["meta"] == {"api-version": "1.4", "_last-serial": 7}
    assert document["name"] == "sample-project"
    assert document["project-status"] == {"status": "active"}


def test_files_are_sorted_by_version_then_filename_and_versions_by_version(project):
    document = detail_json(rendered(project))

    assert [f["filename"] for f in document["files"]] == [
        "sample_project-1.0-py3-none-any.whl",
        "sample_project-1.0.tar.gz",
        "sample_project-1.10-py3-none-any.whl",
    ]
    assert document["versions"] == ["1.0", "1.2", "1.10"]


def test_json_file_entry_carries_hashes_size_time_metadata_and_yank(project):
    files = {f["filename"]: f for f in detail_json(rendered(project))["files"]}
    wheel = project.releases.get(version="1.0").files.get(filename__endswith=".whl")

    entry = files[wheel.filename]
    assert entry["hashes"] == {"sha256": wheel.sha256_digest}
    assert entry["size"] == wheel.size
    assert entry["requires-python"] == ">=3.8"
    assert entry["core-metadata"] == {"sha256": wheel.metadata_sha256_digest}
    assert entry["data-dist-info-metadata"] == entry["core-metadata"]
    assert entry["yanked"] is False
    assert datetime.fromisoformat(entry["upload-time"]) == wheel.upload_time.astimezone(UTC)
    assert files["sample_project-1.0.tar.gz"]["core-metadata"] is False
    assert files["sample_project-1.10-py3-none-any.whl"]["yanked"] == (
        'broke "<everything>" & more'
    )
    assert files["sample_project-1.10-py3-none-any.whl"]["requires-python"] is None


def test_yanked_without_reason_is_true_in_json_and_empty_in_html():
    project = make_project("quiet")
    make_file(make_release(project, "2.0", yanked=True))
    page = rendered(project)

    assert detail_json(page)["files"][0]["yanked"] is True
    assert detail_html(page).anchors[0]["attrs"]["data-yanked"] == ""


def test_urls_are_relative_to_the_page_and_point_at_the_stored_path(project):
    page = rendered(project)
    wheel = project.releases.get(version="1.0").files.get(filename__endswith=".whl")
    expected = f"https://index.example/packages/{wheel.path}"

    json_url = {f["filename"]: f["url"] for f in detail_json(page)["files"]}[wheel.filename]
    anchor = next(a for a in detail_html(page).anchors if a["text"] == wheel.filename)

    assert urljoin(PAGE_URL, json_url) == expected
    href, _, fragment = anchor["attrs"]["href"].partition("#")
    assert urljoin(PAGE_URL, href) == expected
    assert fragment == f"sha256={wheel.sha256_digest}"


def test_files_url_setting_makes_urls_absolute(project, settings):
    settings.CHEESESHOP_FILES_URL = "https://files.example/packages/"
    page = rendered(project)

    for entry in detail_json(page)["files"]:
        assert entry["url"].startswith("https://files.example/packages/")
        assert "//" not in entry["url"].removeprefix("https://")


def test_filenames_with_url_special_characters_are_quoted_in_urls():
    project = make_project("odd")
    make_file(make_release(project, "1!2.0+local"), "odd-1!2.0+local-py3-none-any.whl")
    page = rendered(project)

    url = detail_json(page)["files"][0]["url"]
    assert "+" not in url
    assert unquote(url).endswith("/odd-1!2.0+local-py3-none-any.whl")


def test_html_page_carries_meta_tags_and_anchor_attributes(project):
    html = detail_html(rendered(project))

    assert html.meta["pypi:repository-version"] == "1.4"
    assert html.meta["pypi:project-status"] == "active"
    anchors = {a["text"]: a["attrs"] for a in html.anchors}
    assert list(anchors) == [
        "sample_project-1.0-py3-none-any.whl",
        "sample_project-1.0.tar.gz",
        "sample_project-1.10-py3-none-any.whl",
    ]
    wheel = anchors["sample_project-1.0-py3-none-any.whl"]
    metadata = b"Metadata-Version: 2.4\nName: Sample_Project\nVersion: 1.0\n"
    digest = f"sha256={hashlib.sha256(metadata).hexdigest()}"
    assert wheel["data-requires-python"] == ">=3.8"
    assert wheel["data-core-metadata"] == digest
    assert wheel["data-dist-info-metadata"] == digest
    assert "data-yanked" not in wheel
    sdist = anchors["sample_project-1.0.tar.gz"]
    assert "data-core-metadata" not in sdist
    assert "data-dist-info-metadata" not in sdist
    assert anchors["sample_project-1.10-py3-none-any.whl"]["data-yanked"] == (
        'broke "<everything>" & more'
    )


def test_html_escapes_user_data_so_it_cannot_break_out_of_attributes(project):
    raw = bytes(rendered(project).html).decode()

    assert 'data-yanked="broke &quot;&lt;everything&gt;&quot; &amp; more"' in raw
    assert 'data-requires-python="&gt;=3.8"' in raw
    assert "<everything>" not in raw


def test_status_and_reason_are_published_in_both_formats():
    project = make_project(
        "old-thing", status=ProjectStatus.ARCHIVED, status_reason='use "new" <thing>'
    )
    make_file(make_release(project, "1.0"))
    page = rendered(project)

    assert detail_json(page)["project-status"] == {
        "status": "archived",
        "reason": 'use "new" <thing>',
    }
    html = detail_html(page)
    assert html.meta["pypi:project-status"] == "archived"
    assert html.meta["pypi:project-status-reason"] == 'use "new" <thing>'


def test_same_database_state_renders_the_same_bytes(project):
    first = rendered(project)
    html, json_body = bytes(first.html), bytes(first.json)
    second = rendered(project)

    assert bytes(second.html) == html
    assert bytes(second.json) == json_body
    assert SimpleDetailPage.objects.filter(project=project).count() == 1


def test_etags_are_the_sha256_of_the_stored_bytes_and_serial_follows_the_project(project):
    page = rendered(project)

    assert page.html_etag == hashlib.sha256(bytes(page.html)).hexdigest()
    assert page.json_etag == hashlib.sha256(bytes(page.json)).hexdigest()
    assert page.html_etag != page.json_etag
    assert page.serial == 7


def test_refresh_reads_the_serial_from_the_database_not_the_stale_instance(project):
    stale = type(project).objects.get(pk=project.pk)
    type(project).objects.filter(pk=project.pk).update(last_serial=42)

    assert rendered(stale).serial == 42
    assert detail_json(rendered(stale))["meta"]["_last-serial"] == 42


def test_project_without_files_keeps_a_page_listing_none():
    project = make_project("empty")
    file = make_file(make_release(project, "1.0"))
    rendered(project)
    file.delete()
    page = rendered(project)

    document = detail_json(page)
    assert document["files"] == []
    assert document["versions"] == ["1.0"]
    assert pep691_detail_problems(document) == []
    assert detail_html(page).anchors == []


def test_quarantine_removes_the_pages(project):
    rendered(project)
    project.status = ProjectStatus.QUARANTINED
    project.save()

    assert refresh_project_pages(project) is None
    assert not SimpleDetailPage.objects.filter(project=project).exists()


def test_checker_rejects_documents_that_break_the_rules():
    # The checker must be able to fail, or the tests above prove nothing.
    bad = {
        "meta": {"api-version": "1"},
        "name": "Not_Normalized",
        "versions": ["1.0", "1.0"],
        "files": [
            {
                "filename": "x-2.0.tar.gz",
                "url": "",
                "hashes": {"SHA256": "zz"},
                "yanked": "",
                "size": True,
                "upload-time": "2024-01-01 00:00:00",
                "dist-info-metadata": True,
            }
        ],
    }
    problems = pep691_detail_problems(bad)

    for fragment in (
        "api-version",
        "normalized name",
        "not repeat",
        ".url",
        "not lowercase",
        "no sha256",
        "yanked",
        "size",
        "upload-time",
        "PEP 714",
        "not in versions",
    ):
        assert any(fragment in problem for problem in problems), fragment


def test_refresh_overwrites_the_one_stored_page_in_place(project):
    first = rendered(project)
    type(project).objects.filter(pk=project.pk).update(last_serial=99)

    second = refresh_project_pages(project)

    assert second.pk == first.pk
    assert SimpleDetailPage.objects.filter(project=project).count() == 1
    second.refresh_from_db()
    assert second.serial == 99
    assert detail_json(second)["meta"]["_last-serial"] == 99
    assert second.json_etag == hashlib.sha256(bytes(second.json)).hexdigest()
