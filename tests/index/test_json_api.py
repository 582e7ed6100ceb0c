import hashlib
import json

import pytest

from cheeseshop.accounts.models import User
from cheeseshop.packaging.models import ProjectStatus, Role, RoleName
from tests.index.builders import make_file, make_project, make_release

pytestmark = pytest.mark.django_db

INFO_KEYS = {
    "author", "author_email", "bugtrack_url", "classifiers", "description",
    "description_content_type", "docs_url", "download_url", "downloads", "dynamic", "home_page",
    "keywords", "license", "license_expression", "license_files", "maintainer",
    "maintainer_email", "name", "package_url", "platform", "project_url", "project_urls",
    "provides_extra", "release_url", "requires_dist", "requires_python", "summary", "version",
    "yanked", "yanked_reason",
}  # fmt: skip
FILE_KEYS = {
    "comment_text", "core-metadata", "digests", "downloads", "filename", "has_sig",
    "md5_digest", "packagetype", "python_version", "requires_python", "size", "upload_time",
    "upload_time_iso_8601", "url", "yanked", "yanked_reason",
}  # fmt: skip


def get_json(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, response.content
    return response, json.loads(response.content)


@pytest.fixture
def project():
    project = make_project("Sample_Project", last_serial=11)
    make_file(
        make_release(
            project,
            "1.0",
            summary="A sample",
            requires_dist=["requests>=2"],
            home_page="https://home.example",
            project_urls={"Source": "https://src.example"},
            classifiers=["Programming Language :: Python :: 3"],
            requires_python=">=3.9",
        ),
        metadata=b"Metadata-Version: 2.4\n",
    )
    make_file(make_release(project, "0.9"), "sample_project-0.9.tar.gz")
    make_file(make_release(project, "2.0rc1"))
    make_file(make_release(project, "3.0", yanked=True, yanked_reason="oops"))
    return project


def test_project_document_describes_the_latest_stable_release(client, project):
    response, document = get_json(client, "/pypi/sample-project/json")

    assert set(document) == {
        "info", "last_serial", "ownership", "releases", "urls", "vulnerabilities",
    }  # fmt: skip
    info = document["info"]
    assert set(info) == INFO_KEYS
    assert info["name"] == "Sample_Project"
    assert info["version"] == "1.0"
    assert info["summary"] == "A sample"
    assert info["requires_dist"] == ["requests>=2"]
    assert info["requires_python"] == ">=3.9"
    assert info["project_urls"] == {
        "Homepage": "https://home.example",
        "Source": "https://src.example",
    }
    assert info["downloads"] == {"last_day": -1, "last_month": -1, "last_week": -1}
    assert info["bugtrack_url"] is None
    assert info["keywords"] is None
    assert info["yanked"] is False
    assert info["yanked_reason"] is None
    assert info["package_url"] == "http://testserver/project/sample-project/"
    assert info["release_url"] == "http://testserver/project/sample-project/1.0/"
    assert document["last_serial"] == 11
    assert document["vulnerabilities"] == []
    assert response["X-PyPI-Last-Serial"] == "11"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("public, max-age=")


def test_project_document_lists_every_release_in_version_order(client, project):
    _, document = get_json(client, "/pypi/sample-project/json")

    assert list(document["releases"]) == ["0.9", "1.0", "2.0rc1", "3.0"]
    assert [f["filename"] for f in document["releases"]["0.9"]] == ["sample_project-0.9.tar.gz"]
    assert document["releases"]["3.0"][0]["yanked"] is True
    assert document["releases"]["3.0"][0]["yanked_reason"] == "oops"


def test_file_entries_use_pypis_fields_and_absolute_urls(client, project):
    _, document = get_json(client, "/pypi/sample-project/json")
    wheel = project.releases.get(version="1.0").files.get()

    [entry] = document["urls"]
    assert set(entry) == FILE_KEYS
    assert entry["filename"] == wheel.filename
    assert entry["url"] == f"http://testserver/packages/{wheel.path}"
    assert entry["digests"] == {
        "blake2b_256": wheel.blake2_256_digest,
        "md5": wheel.md5_digest,
        "sha256": wheel.sha256_digest,
    }
    assert entry["md5_digest"] == wheel.md5_digest
    assert entry["core-metadata"] == {
        "sha256": hashlib.sha256(b"Metadata-Version: 2.4\n").hexdigest()
    }
    assert entry["packagetype"] == "bdist_wheel"
    assert entry["size"] == wheel.size
    assert entry["has_sig"] is False
    assert entry["downloads"] == -1
    assert entry["requires_python"] == ">=3.9"
    assert entry["upload_time"] == wheel.upload_time.strftime("%Y-%m-%dT%H:%M:%S")
    assert entry["upload_time_iso_8601"].endswith("Z")


@pytest.mark.parametrize(
    ("releases", "latest"),
    [
        ([("1.0", False), ("2.0b1", False)], "1.0"),
        ([("1.0", False), ("2.0", True)], "1.0"),
        ([("1.0b1", False), ("2.0", True)], "1.0b1"),
        ([("1.0", True), ("2.0", True)], "2.0"),
        ([("1.0", True), ("2.0b1", True)], "1.0"),
        ([("2.0b1", False), ("3.0b1", False)], "3.0b1"),
        ([("1.9", False), ("1.10", False)], "1.10"),
    ],
)
def test_latest_prefers_unyanked_then_final_then_highest(client, releases, latest):
    project = make_project("pick")
    for version, yanked in releases:
        make_release(project, version, yanked=yanked)

    _, document = get_json(client, "/pypi/pick/json")

    assert document["info"]["version"] == latest


def test_release_document_has_no_releases_key(client, project):
    _, document = get_json(client, "/pypi/sample-project/2.0rc1/json")

    assert "releases" not in document
    assert document["info"]["version"] == "2.0rc1"
    assert [f["filename"] for f in document["urls"]] == ["sample_project-2.0rc1-py3-none-any.whl"]


def test_release_is_found_by_an_equivalent_version_spelling(client, project):
    _, document = get_json(client, "/pypi/sample-project/2.0.0-rc.1/json")

    assert document["info"]["version"] == "2.0rc1"


def test_yanked_release_document_says_so(client, project):
    _, document = get_json(client, "/pypi/sample-project/3.0/json")

    assert document["info"]["yanked"] is True
    assert document["info"]["yanked_reason"] == "oops"


@pytest.mark.parametrize("path", ["/pypi/sample-project/json/", "/pypi/sample-project/1.0/json/"])
def test_trailing_slash_variants_answer_too(client, project, path):
    get_json(client, path)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/pypi/Sample_Project/json", "/pypi/sample-project/json"),
        ("/pypi/Sample.Project/1.0/json", "/pypi/sample-project/1.0/json"),
    ],
)
def test_non_normalized_name_redirects_permanently(client, project, path, location):
    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == location


@pytest.mark.parametrize(
    "path",
    [
        "/pypi/no-such-project/json",
        "/pypi/sample-project/9.9/json",
        "/pypi/sample-project/not a version/json",
    ],
)
def test_unknown_project_or_release_is_404_in_json(client, project, path):
    response, document = get_json(client, path, status=404)

    assert response["Access-Control-Allow-Origin"] == "*"
    assert isinstance(document["message"], str)


def test_project_without_releases_is_404(client):
    make_project("bare")

    get_json(client, "/pypi/bare/json", status=404)


def test_quarantined_project_is_404(client, project):
    project.status = ProjectStatus.QUARANTINED
    project.save()

    get_json(client, "/pypi/sample-project/json", status=404)
    get_json(client, "/pypi/sample-project/1.0/json", status=404)


def test_ownership_lists_owners_first(client, project):
    for username, role in [
        ("zed", RoleName.OWNER),
        ("amy", RoleName.MAINTAINER),
        ("bob", RoleName.OWNER),
    ]:
        Role.objects.create(
            user=User.objects.create(username=username), project=project, role_name=role
        )

    _, document = get_json(client, "/pypi/sample-project/json")

    assert document["ownership"] == {
        "roles": [
            {"role": "Owner", "user": "bob"},
            {"role": "Owner", "user": "zed"},
            {"role": "Maintainer", "user": "amy"},
        ],
        "organization": None,
    }


def test_json_api_supports_conditional_requests(client, project):
    first = client.get("/pypi/sample-project/json")

    again = client.get("/pypi/sample-project/json", headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
