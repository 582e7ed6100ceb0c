import hashlib
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from cheeseshop.packaging.models import ProjectStatus
from tests.index.builders import make_file, make_project, make_release, store

pytestmark = pytest.mark.django_db

WHEEL_BYTES = b"PK\x03\x04 pretend wheel bytes"
METADATA = "Metadata-Version: 2.4\nName: sample\nSummary: caf\u00e9\n".encode()


@pytest.fixture
def wheel():
    release = make_release(make_project("sample"), "1.0")
    return make_file(release, content=WHEEL_BYTES, metadata=METADATA)


def test_distribution_is_served_with_its_bytes_and_immutable_caching(client, wheel):
    response = client.get(f"/packages/{wheel.path}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == WHEEL_BYTES
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Length"] == str(len(WHEEL_BYTES))
    assert response["ETag"] == f'"{hashlib.sha256(WHEEL_BYTES).hexdigest()}"'
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Content-Encoding" not in response


def test_core_metadata_is_served_beside_the_wheel(client, wheel):
    response = client.get(f"/packages/{wheel.path}.metadata")

    assert response.status_code == 200
    assert response.content == METADATA
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Length"] == str(len(METADATA))
    assert response["ETag"] == f'"{hashlib.sha256(METADATA).hexdigest()}"'


def test_metadata_of_a_file_without_metadata_is_404_even_if_stored(client):
    sdist = make_file(make_release(make_project("plain"), "1.0"), "plain-1.0.tar.gz")
    store(sdist.metadata_path, b"stray bytes")

    assert client.get(f"/packages/{sdist.metadata_path}").status_code == 404


def test_head_gives_length_without_body(client, wheel):
    response = client.head(f"/packages/{wheel.path}")

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(WHEEL_BYTES))
    assert response.content == b""


def test_matching_if_none_match_gives_304(client, wheel):
    response = client.get(
        f"/packages/{wheel.path}", headers={"if-none-match": f'"{wheel.sha256_digest}"'}
    )

    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/packages/00/00/nothing/sample-1.0.tar.gz",
        "/packages/../secret_key",
        "/packages/../../etc/passwd",
        "/packages/%2e%2e/secret_key",
        "/packages/ab/./cd/x.whl",
        "/packages//etc/passwd",
        "/packages/secret_key",
    ],
)
def test_paths_that_are_not_files_of_the_index_are_404(client, wheel, path):
    response = client.get(path)

    assert response.status_code == 404


def test_stored_object_without_a_file_row_is_404(client):
    store("ff/ee/orphan/orphan-1.0.tar.gz", b"not published")

    assert client.get("/packages/ff/ee/orphan/orphan-1.0.tar.gz").status_code == 404


def test_file_row_whose_bytes_are_missing_is_404(client):
    lost = make_file(make_release(make_project("lost"), "1.0"), stored=False)

    assert client.get(f"/packages/{lost.path}").status_code == 404


def test_files_of_a_quarantined_project_are_not_served(client, wheel):
    project = wheel.release.project
    project.status = ProjectStatus.QUARANTINED
    project.save()

    assert client.get(f"/packages/{wheel.path}").status_code == 404
    assert client.get(f"/packages/{wheel.path}.metadata").status_code == 404


def test_files_refuse_unsafe_methods(client, wheel):
    assert client.put(f"/packages/{wheel.path}").status_code == 405


# Files in object storage: redirected to, never streamed through the index


@pytest.fixture
def s3_wheel(s3_packages_storage):
    release = make_release(make_project("sample"), "1.0")
    return make_file(release, content=WHEEL_BYTES, metadata=METADATA)


def _presigned_for(location: str, s3_server, path: str) -> bool:
    bits = urlsplit(location)
    return (
        f"{bits.scheme}://{bits.netloc}" == s3_server.endpoint_url
        and bits.path == f"/{s3_server.bucket}/files/{path}"
        and "X-Amz-Signature" in parse_qs(bits.query)
    )


def test_a_file_in_object_storage_is_a_redirect_to_a_presigned_url(
    client, s3_packages_storage, s3_wheel, settings
):
    settings.CHEESESHOP_S3_URL_EXPIRY = 120

    response = client.get(f"/packages/{s3_wheel.path}")

    assert response.status_code == 302
    assert _presigned_for(response["Location"], s3_packages_storage, s3_wheel.path)
    # Cached for less than the URL lives.
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.content == b""
    with urllib.request.urlopen(response["Location"], timeout=10) as stored:
        assert stored.read() == WHEEL_BYTES


def test_core_metadata_in_object_storage_is_a_redirect_too(client, s3_packages_storage, s3_wheel):
    response = client.get(f"/packages/{s3_wheel.metadata_path}")

    assert response.status_code == 302
    assert _presigned_for(response["Location"], s3_packages_storage, s3_wheel.metadata_path)
    with urllib.request.urlopen(response["Location"], timeout=10) as stored:
        assert stored.read() == METADATA


def test_head_of_a_file_in_object_storage_is_the_same_redirect(
    client, s3_packages_storage, s3_wheel
):
    response = client.head(f"/packages/{s3_wheel.path}")

    assert response.status_code == 302
    assert _presigned_for(response["Location"], s3_packages_storage, s3_wheel.path)


def test_files_of_a_hidden_project_in_object_storage_are_404_not_redirects(client, s3_wheel):
    project = s3_wheel.release.project
    project.status = ProjectStatus.QUARANTINED
    project.save()

    assert client.get(f"/packages/{s3_wheel.path}").status_code == 404
    assert client.get(f"/packages/{s3_wheel.metadata_path}").status_code == 404


def test_objects_without_a_file_row_are_404_not_redirects(client, s3_packages_storage):
    store("ff/ee/orphan/orphan-1.0.tar.gz", b"not published")

    assert client.get("/packages/ff/ee/orphan/orphan-1.0.tar.gz").status_code == 404
