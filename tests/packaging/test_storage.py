"""File storage: configured from the environment alone (a local directory or an S3 bucket),
written, read, deleted and linked through the storage's API, and probed for readiness."""

import os
import sys
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import FileSystemStorage

from cheeseshop import health
from cheeseshop.packaging import storage
from cheeseshop.packaging.tasks import verify_stored_file
from tests.conftest import fresh_settings
from tests.index.builders import make_file, make_project, make_release
from tests.processes import free_port
from tests.s3 import ACCESS_KEY_ID, new_bucket, running_s3_server

PATH = "ab/cd/ef0123/sample-1.0-py3-none-any.whl"


def _configured(monkeypatch, **env) -> dict:
    """The ``packages`` storage an index started with ``env`` would have."""
    for name in [n for n in os.environ if n.startswith(("CHEESESHOP_FILES_", "CHEESESHOP_S3_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(f"CHEESESHOP_{name}", value)
    return fresh_settings().STORAGES["packages"]


# Settings


def test_files_are_stored_in_the_files_directory_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("CHEESESHOP_FILES_DIR", str(tmp_path / "files"))

    packages = _configured(monkeypatch, FILES_DIR=str(tmp_path / "files"))

    assert packages == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "files")},
    }


def test_s3_storage_is_configured_from_the_s3_settings_alone(monkeypatch):
    packages = _configured(
        monkeypatch,
        FILES_STORAGE="s3",
        S3_BUCKET="wheels",
        S3_ENDPOINT_URL="http://minio.internal:9000",
        S3_REGION="eu-west-3",
        S3_ACCESS_KEY_ID="key-id",
        S3_SECRET_ACCESS_KEY="secret",
        S3_PREFIX="/cheeseshop/files/",
        S3_URL_EXPIRY="60",
    )

    assert packages["BACKEND"] == "storages.backends.s3.S3Storage"
    options = packages["OPTIONS"]
    assert options["bucket_name"] == "wheels"
    assert options["endpoint_url"] == "http://minio.internal:9000"
    assert options["region_name"] == "eu-west-3"
    assert (options["access_key"], options["secret_key"]) == ("key-id", "secret")
    # A key prefix, never a local directory, and never with a leading slash.
    assert options["location"] == "cheeseshop/files"
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 60
    assert options["addressing_style"] == "path"


def test_s3_without_keys_leaves_credentials_to_boto3(monkeypatch):
    options = _configured(monkeypatch, FILES_STORAGE="s3", S3_BUCKET="wheels")["OPTIONS"]

    assert options["access_key"] is None
    assert options["secret_key"] is None
    assert options["endpoint_url"] is None
    assert options["location"] == ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FILES_STORAGE": "s3"}, "CHEESESHOP_FILES_STORAGE=s3 needs CHEESESHOP_S3_BUCKET"),
        ({"FILES_STORAGE": "bucket"}, "CHEESESHOP_FILES_STORAGE must be local, s3 or"),
        ({"FILES_STORAGE": "no.such.Storage"}, "CHEESESHOP_FILES_STORAGE names 'no.such"),
        (
            {"FILES_STORAGE": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "k"},
            "CHEESESHOP_S3_ACCESS_KEY_ID and CHEESESHOP_S3_SECRET_ACCESS_KEY go together",
        ),
        (
            {"FILES_STORAGE": "s3", "S3_BUCKET": "b", "S3_ENDPOINT_URL": "minio:9000"},
            "CHEESESHOP_S3_ENDPOINT_URL must be an http or https URL",
        ),
        ({"S3_URL_EXPIRY": "0"}, "CHEESESHOP_S3_URL_EXPIRY must be 1 to 604800 seconds"),
        ({"S3_URL_EXPIRY": "604801"}, "CHEESESHOP_S3_URL_EXPIRY must be 1 to 604800 seconds"),
    ],
)
def test_a_bad_storage_setting_is_refused_naming_it(monkeypatch, env, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        _configured(monkeypatch, **env)


def test_s3_without_the_s3_extra_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "storages", None)  # as if django-storages were absent

    with pytest.raises(ValueError, match=r"pip install 'cheeseshop\[s3\]'"):
        _configured(monkeypatch, FILES_STORAGE="s3", S3_BUCKET="wheels")


def test_a_dotted_storage_class_is_still_accepted(monkeypatch, tmp_path):
    local = _configured(
        monkeypatch,
        FILES_STORAGE="django.core.files.storage.FileSystemStorage",
        FILES_DIR=str(tmp_path),
    )
    other = _configured(monkeypatch, FILES_STORAGE="django.core.files.storage.InMemoryStorage")

    # A directory-based class stores in FILES_DIR; any other is left to configure itself.
    assert local["OPTIONS"] == {"location": str(tmp_path)}
    assert other == {"BACKEND": "django.core.files.storage.InMemoryStorage", "OPTIONS": {}}


# S3: files stored, read, deleted and linked through the storage


def _assert_only_object_holds(s3_packages_storage, content: bytes) -> None:
    """The bucket holds one object, PATH under the prefix, and the storage reads ``content``."""
    assert s3_packages_storage.object_keys() == [f"files/{PATH}"]
    with storage.packages_storage().open(PATH, "rb") as stored:
        assert stored.read() == content


@pytest.mark.django_db
def test_a_distribution_is_stored_in_the_bucket_under_the_prefix(s3_packages_storage):
    storage.save_bytes(PATH, b"wheel bytes")

    _assert_only_object_holds(s3_packages_storage, b"wheel bytes")


@pytest.mark.django_db
def test_saving_again_replaces_a_leftover_object_with_the_same_path(s3_packages_storage):
    storage.save_bytes(PATH, b"left over by a failed upload")
    storage.save_bytes(PATH, b"wheel bytes")

    _assert_only_object_holds(s3_packages_storage, b"wheel bytes")


@pytest.mark.django_db
def test_deleting_a_stored_file_removes_its_object(s3_packages_storage):
    storage.save_bytes(PATH, b"wheel bytes")

    storage.delete_quietly(PATH)
    storage.delete_quietly(PATH)  # already gone: nothing to say

    assert s3_packages_storage.object_keys() == []


@pytest.mark.django_db
def test_the_stored_file_check_reads_the_object_back(s3_packages_storage):
    file = make_file(make_release(make_project("checked")), content=b"exact bytes")

    result = verify_stored_file.enqueue(file.id)

    assert result.return_value == file.blake2_256_digest
    assert f"files/{file.path}" in s3_packages_storage.object_keys()


@pytest.mark.django_db
def test_the_download_url_is_presigned_for_the_configured_time(s3_packages_storage, settings):
    storage.save_bytes(PATH, b"wheel bytes")

    url = storage.download_url(PATH)

    bits = urlsplit(url)
    query = parse_qs(bits.query)
    assert f"{bits.scheme}://{bits.netloc}" == s3_packages_storage.endpoint_url
    assert bits.path == f"/{s3_packages_storage.bucket}/files/{PATH}"
    assert query["X-Amz-Expires"] == [str(settings.CHEESESHOP_S3_URL_EXPIRY)]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"wheel bytes"


def test_local_files_have_no_download_url_the_index_streams_them(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "packages": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }

    assert isinstance(storage.packages_storage(), FileSystemStorage)
    assert storage.download_url(PATH) is None


# The readiness probe


def test_the_storage_probe_is_registered():
    assert "storage" in health.probe_names()


@pytest.mark.django_db
def test_the_probe_passes_on_a_writable_bucket_and_leaves_nothing(s3_packages_storage):
    assert storage.storage_problem() is None
    assert s3_packages_storage.object_keys() == []


@pytest.mark.django_db
def test_the_probe_names_a_bucket_that_does_not_exist(s3_packages_storage, settings):
    settings.STORAGES["packages"]["OPTIONS"]["bucket_name"] = "no-such-bucket"
    settings.STORAGES = {**settings.STORAGES}  # the storage is built again

    problem = storage.storage_problem()

    assert problem == (
        f"bucket 'no-such-bucket' does not exist at {s3_packages_storage.endpoint_url} "
        "(CHEESESHOP_S3_BUCKET)"
    )


@pytest.mark.django_db
def test_the_probe_names_an_endpoint_nothing_answers_at(s3_packages_storage, settings):
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings.STORAGES["packages"]["OPTIONS"]["endpoint_url"] = nowhere
    settings.STORAGES = {**settings.STORAGES}

    problem = storage.storage_problem()

    assert problem == f"S3 endpoint {nowhere} is unreachable (CHEESESHOP_S3_ENDPOINT_URL)"


def test_the_probe_names_the_key_a_bucket_refuses(settings, monkeypatch):
    # moto checks credentials after its first request (the bucket's creation): the suite's key
    # is none of its IAM users.
    with running_s3_server({"INITIAL_NO_AUTH_ACTION_COUNT": "1"}) as endpoint_url:
        refusing = new_bucket(endpoint_url)
        for name, value in refusing.env.items():
            monkeypatch.setenv(name, value)
        configured = fresh_settings()
        settings.STORAGES = configured.STORAGES
        settings.CHEESESHOP_FILES_STORAGE = "s3"

        problem = storage.storage_problem()

    assert problem == (
        f"access denied to bucket {refusing.bucket!r} at {endpoint_url} for key "
        f"{ACCESS_KEY_ID}: InvalidAccessKeyId "
        "(CHEESESHOP_S3_ACCESS_KEY_ID, CHEESESHOP_S3_SECRET_ACCESS_KEY)"
    )


def test_the_probe_of_a_new_bucket_on_another_prefix_passes(s3_endpoint_url, settings):
    other = new_bucket(s3_endpoint_url, prefix="")
    settings.CHEESESHOP_FILES_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "packages": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": other.bucket,
                "endpoint_url": s3_endpoint_url,
                "access_key": "k",
                "secret_key": "s",
                "region_name": "us-east-1",
                "addressing_style": "path",
            },
        },
    }

    assert storage.storage_problem() is None
    assert other.object_keys() == []


def _local(settings, location):
    settings.CHEESESHOP_FILES_STORAGE = "local"
    settings.STORAGES = {
        **settings.STORAGES,
        "packages": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }


def test_the_probe_passes_on_a_writable_directory_or_one_it_can_create(settings, tmp_path):
    _local(settings, tmp_path)
    assert storage.storage_problem() is None

    _local(settings, tmp_path / "not-yet")
    assert storage.storage_problem() is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_the_probe_names_a_directory_it_cannot_write(settings, tmp_path):
    tmp_path.chmod(0o500)
    try:
        _local(settings, tmp_path)
        problem = storage.storage_problem()
    finally:
        tmp_path.chmod(0o700)

    assert (
        problem == f"file storage {tmp_path} is not writable by this user (CHEESESHOP_FILES_DIR)"
    )


def test_the_probe_names_a_files_directory_that_is_a_file(settings, tmp_path):
    (tmp_path / "files").write_text("")
    _local(settings, tmp_path / "files")

    assert storage.storage_problem() == (
        f"file storage {tmp_path / 'files'} is not a directory (CHEESESHOP_FILES_DIR)"
    )


@pytest.mark.django_db
def test_the_probe_asks_the_bucket_again_only_after_a_while(s3_packages_storage, monkeypatch):
    asked = []
    real = storage._bucket_problem
    monkeypatch.setattr(storage, "_bucket_problem", lambda s: asked.append(s) or real(s))
    monkeypatch.setattr(storage, "_last_bucket_probe", None)
    clock = iter([100.0, 105.0, 100.0 + storage.BUCKET_PROBE_TTL])
    monkeypatch.setattr(storage, "monotonic", lambda: next(clock))

    assert [storage.storage_problem() for _ in range(3)] == [None, None, None]
    assert len(asked) == 2  # the second answer was the first one's, the third asked again
