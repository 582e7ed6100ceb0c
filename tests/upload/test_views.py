"""The upload API, driven over HTTP through Django's test client with real archives.

The rules themselves are unit-tested in tests/packaging/; these tests prove the view applies
each one: the right status, the rule's message in the reason phrase and the body, and nothing
left behind (no row, no stored object, no event) when an upload is refused.
"""

import tarfile

import pytest
from django.utils import timezone

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.errors import Disabled, Gone
from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.packaging import changes
from cheeseshop.packaging.errors import (
    ProjectNameTaken,
    TooManyNewProjects,
    UploadNotPermitted,
    UploadRejected,
)
from cheeseshop.packaging.models import (
    File,
    FilenameRegistry,
    ProhibitedProjectName,
    Project,
    Release,
    Role,
)
from cheeseshop.tokens.caveats import Expiration, ProjectName
from cheeseshop.tokens.services import InvalidToken, create_token
from cheeseshop.upload.views import _response, status_of
from tests.packaging.dists import (
    core_metadata,
    drop_from_central_directory,
    make_sdist,
    make_wheel,
    tar_member,
    write_tar_gz,
)
from tests.packaging.hostile_descriptions import (
    HOSTILE_DESCRIPTIONS,
    nested_rst_list,
    rst_grid_table,
)
from tests.upload.conftest import basic_auth, stored_files, upload_form

pytestmark = pytest.mark.django_db


def assert_refused(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert message in response.reason_phrase
    assert message in response.content.decode()


def assert_nothing_stored(packages_dir) -> None:
    assert not File.objects.exists()
    assert not Release.objects.exists()
    assert not Project.objects.exists()
    assert not FilenameRegistry.objects.exists()
    assert not Event.objects.exclude(tag__startswith="account:").exists()
    assert stored_files(packages_dir) == []


# --- accepted uploads ---------------------------------------------------------------------------


def test_wheel_upload_creates_project_release_file_owner_and_events(
    post_upload, tmp_path, user, packages_dir
):
    wheel = make_wheel(tmp_path, "Example-Pkg", "1.0", metadata={"Summary": "An example"})
    response = post_upload(wheel, "Example-Pkg", "1.0", HTTP_USER_AGENT="twine/7.0.0")
    assert response.status_code == 200, response.content

    project = Project.objects.get()
    assert (project.name, project.normalized_name) == ("Example-Pkg", "example-pkg")
    assert Role.objects.get(project=project).user == user
    release = Release.objects.get()
    assert (release.version, release.summary) == ("1.0", "An example")
    file = File.objects.get()
    assert file.filename == wheel.name
    assert file.uploader == user
    assert file.token.description == "tests"
    b2 = file.blake2_256_digest
    assert file.path == f"{b2[:2]}/{b2[2:4]}/{b2[4:]}/{wheel.name}"
    assert stored_files(packages_dir) == sorted([file.path, file.path + ".metadata"])
    assert (packages_dir / file.path).read_bytes() == wheel.read_bytes()
    assert FilenameRegistry.objects.filter(filename=wheel.name).exists()

    events = list(Event.objects.exclude(tag__startswith="account:").order_by("id"))
    assert [e.tag for e in events] == [
        "project:create",
        "project:role:add",
        "project:release:add",
        "file:add",
    ]
    for event in events:
        assert event.actor == user
        assert event.credential == {
            "method": "token",
            "token_id": str(file.token_id),
            "description": "tests",
        }
        assert len(event.ip_hash) == 64
    assert events[-1].file_id == file.id
    assert project.__class__.objects.get().last_serial == events[-1].id
    assert SimpleDetailPage.objects.get(project=project).serial == events[-1].id
    file.token.refresh_from_db()
    assert file.token.last_used is not None


def test_sdist_and_wheel_share_one_release(post_upload, tmp_path):
    assert post_upload(make_sdist(tmp_path, "pkg-two", "2.0"), "pkg-two", "2.0").status_code == 200
    assert post_upload(make_wheel(tmp_path, "pkg-two", "2.0"), "pkg-two", "2.0").status_code == 200
    assert Release.objects.count() == 1
    assert File.objects.count() == 2
    # the sdist has no PEP 658 sidecar, the wheel has
    assert {f.packagetype: f.has_metadata for f in File.objects.all()} == {
        "sdist": False,
        "bdist_wheel": True,
    }


def test_bearer_authorization_is_accepted(post_upload, tmp_path, token):
    wheel = make_wheel(tmp_path, "bearer-pkg", "1.0")
    response = post_upload(wheel, "bearer-pkg", "1.0", auth=f"Bearer {token}")
    assert response.status_code == 200


def test_maintainer_of_existing_project_may_upload(post_upload, tmp_path, client):
    assert post_upload(make_wheel(tmp_path, "shared", "1.0"), "shared", "1.0").status_code == 200
    bob = create_user("bob", "bob@example.com")
    Role.objects.create(user=bob, project=Project.objects.get(), role_name="Maintainer")
    bob_token = create_token(bob, description="bob")[1]
    response = post_upload(
        make_sdist(tmp_path, "shared", "1.0"), "shared", "1.0", auth=basic_auth(bob_token)
    )
    assert response.status_code == 200


def test_exact_duplicate_answers_200_and_changes_nothing(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, "dup", "1.0")
    assert post_upload(wheel, "dup", "1.0").status_code == 200
    events, stored = Event.objects.count(), stored_files(packages_dir)
    response = post_upload(wheel, "dup", "1.0")
    assert response.status_code == 200
    assert File.objects.count() == 1
    assert Event.objects.count() == events
    assert stored_files(packages_dir) == stored


def test_upload_enqueues_the_post_upload_tasks_after_commit(
    post_upload, tmp_path, django_capture_on_commit_callbacks
):
    """Two tasks: the stored file verified, and the malware checks on it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_upload(make_wheel(tmp_path, "later", "1.0"), "later", "1.0")
    assert response.status_code == 200
    assert len(callbacks) == 2


def test_an_upload_runs_a_bounded_number_of_statements(post_upload, tmp_path):
    """Each statement the upload path runs costs more to build than to run: a new one should be
    a choice. The bounds are today's counts on PostgreSQL (its audit chain lock is one more
    than SQLite), savepoints of the test's own transaction included; a new project's two
    more on PostgreSQL are the locks its limits are counted under (user and address). One is
    the project list's change counter (``index.services.note_index_change``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as new_project:
        assert (
            post_upload(make_wheel(tmp_path, "counted", "1.0"), "counted", "1.0").status_code
            == 200
        )
    with CaptureQueriesContext(connection) as new_version:
        wheel = make_wheel(tmp_path / "..", "counted", "1.1")
        assert post_upload(wheel, "counted", "1.1").status_code == 200
    assert len(new_project.captured_queries) <= 36
    assert len(new_version.captured_queries) <= 27


# --- refused before the body matters ----------------------------------------------------------


def test_get_is_not_allowed(client):
    response = client.get("/legacy/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_post_without_trailing_slash_is_redirected_with_308(client):
    response = client.post("/legacy", {})
    assert_refused(response, 308, "the expected upload URL is /legacy/")
    assert response["Location"].endswith("/legacy/")


def test_missing_credentials_are_refused(post_upload, tmp_path, packages_dir):
    response = post_upload(make_wheel(tmp_path), "example", "1.0", auth="")
    assert_refused(response, 403, "Invalid or non-existent authentication information.")
    assert_nothing_stored(packages_dir)


def test_username_and_password_are_refused(post_upload, tmp_path, packages_dir):
    auth = basic_auth("secret", username="alice")
    response = post_upload(make_wheel(tmp_path), "example", "1.0", auth=auth)
    assert_refused(response, 403, "Username/Password authentication is no longer supported")
    assert_nothing_stored(packages_dir)


def test_malformed_token_is_refused(post_upload, tmp_path, packages_dir):
    response = post_upload(make_wheel(tmp_path), "example", "1.0", auth=basic_auth("pypi-xyz"))
    assert_refused(response, 403, "Invalid API Token")
    assert_nothing_stored(packages_dir)


def test_token_of_a_frozen_user_is_refused(post_upload, tmp_path, user, packages_dir):
    user.is_frozen = True
    user.save()
    response = post_upload(make_wheel(tmp_path), "example", "1.0")
    assert_refused(response, 403, "Invalid API Token")
    assert_nothing_stored(packages_dir)


def test_expired_token_is_refused(post_upload, tmp_path, user, packages_dir):
    past = int(timezone.now().timestamp()) - 60
    raw = create_token(user, description="old", caveats=[Expiration(past, past - 60)])[1]
    response = post_upload(make_wheel(tmp_path), "example", "1.0", auth=basic_auth(raw))
    assert_refused(response, 403, "token is expired")
    assert_nothing_stored(packages_dir)


def test_project_scoped_token_cannot_create_another_project(
    post_upload, tmp_path, user, packages_dir
):
    raw = create_token(user, description="scoped", caveats=[ProjectName(("other",))])[1]
    response = post_upload(make_wheel(tmp_path), "example", "1.0", auth=basic_auth(raw))
    assert response.status_code == 403
    assert "Invalid API Token" in response.reason_phrase
    assert_nothing_stored(packages_dir)


def test_user_without_verified_email_is_refused(post_upload, tmp_path, user, packages_dir):
    user.emailaddress_set.update(verified=False)
    response = post_upload(make_wheel(tmp_path), "example", "1.0")
    assert_refused(response, 403, "does not have a verified primary email address")
    assert_nothing_stored(packages_dir)


def test_another_users_project_is_refused(post_upload, tmp_path, packages_dir):
    assert post_upload(make_wheel(tmp_path, "theirs", "1.0"), "theirs", "1.0").status_code == 200
    mallory = create_user("mallory", "mallory@example.com")
    raw = create_token(mallory, description="m")[1]
    response = post_upload(
        make_sdist(tmp_path, "theirs", "1.0"), "theirs", "1.0", auth=basic_auth(raw)
    )
    assert_refused(response, 403, "The user 'mallory' isn't allowed to upload to project 'theirs'")
    assert File.objects.count() == 1


def test_an_owner_cannot_upload_to_a_quarantined_project(post_upload, tmp_path, packages_dir):
    assert post_upload(make_wheel(tmp_path, "mine", "1.0"), "mine", "1.0").status_code == 200
    changes.set_status(Project.objects.get(), "quarantined", actor=None, admin=True)
    stored = stored_files(packages_dir)

    response = post_upload(make_wheel(tmp_path, "mine", "1.1"), "mine", "1.1")

    assert_refused(response, 403, "Project 'mine' is quarantined while the index's administrators")
    assert File.objects.count() == 1
    assert stored_files(packages_dir) == stored


def test_a_stranger_is_not_told_that_a_project_is_quarantined(post_upload, tmp_path):
    assert post_upload(make_wheel(tmp_path, "theirs", "1.0"), "theirs", "1.0").status_code == 200
    changes.set_status(Project.objects.get(), "quarantined", actor=None, admin=True)
    raw = create_token(create_user("mallory", "mallory@example.com"), description="m")[1]

    response = post_upload(
        make_wheel(tmp_path, "theirs", "1.1"), "theirs", "1.1", auth=basic_auth(raw)
    )

    assert_refused(response, 403, "The user 'mallory' isn't allowed to upload to project 'theirs'")
    assert "quarantined" not in response.content.decode()


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        ("submit", 410, "Project pre-registration is no longer required or supported"),
        ("submit_pkg_info", 410, "Project pre-registration is no longer required or supported"),
        ("doc_upload", 410, "Uploading documentation is no longer supported"),
        ("remove_pkg", 400, "Unknown or missing :action"),
    ],
)
def test_other_legacy_actions_are_refused(
    post_upload, tmp_path, packages_dir, action, status, message
):
    response = post_upload(make_wheel(tmp_path), "example", "1.0", **{":action": action})
    assert_refused(response, status, message)
    assert_nothing_stored(packages_dir)


# --- the form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"protocol_version": "2"}, "Unknown protocol version."),
        ({"name": None}, "is an invalid value for Name"),
        ({"name": "-bad-"}, "is an invalid value for Name"),
        ({"version": None}, "is an invalid value for Version"),
        ({"metadata_version": None}, "is an invalid value for Metadata-Version"),
        ({"filetype": "bdist_egg"}, "Use a known file type."),
        ({"pyversion": None}, "Python version is required for binary distribution uploads."),
        (
            {"md5_digest": None, "sha256_digest": None, "blake2_256_digest": None},
            "Include at least one message digest.",
        ),
        ({"sha256_digest": "abc"}, "Must be a valid, hex encoded, SHA256 message digest."),
        ({"content": None}, "Upload payload does not have a file."),
        ({"sha256_digest": "0" * 64}, "The digest supplied does not match"),
        ({"md5_digest": "0" * 32}, "The digest supplied does not match"),
        ({"blake2_256_digest": "0" * 64}, "The digest supplied does not match"),
    ],
)
def test_bad_form_fields_are_refused(post_upload, tmp_path, packages_dir, overrides, message):
    response = post_upload(make_wheel(tmp_path), "example", "1.0", **overrides)
    assert_refused(response, 400, message)
    assert_nothing_stored(packages_dir)


def test_sdist_must_say_source_as_python_version(post_upload, tmp_path, packages_dir):
    response = post_upload(make_sdist(tmp_path), "example", "1.0", pyversion="py3")
    assert_refused(response, 400, "Use 'source' as Python version for an sdist.")
    assert_nothing_stored(packages_dir)


def test_a_second_file_field_is_refused(client, token, tmp_path, packages_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.upload.conftest import upload_form

    form = upload_form(make_wheel(tmp_path), "example", "1.0")
    form["comment"] = SimpleUploadedFile("comment.txt", b"x")
    response = client.post("/legacy/", form, headers={"Authorization": basic_auth(token)})
    assert_refused(response, 400, "comment: Should not be a tuple.")
    assert_nothing_stored(packages_dir)


def test_file_over_the_size_limit_is_refused_while_streaming(
    post_upload, tmp_path, settings, packages_dir
):
    settings.CHEESESHOP_MAX_FILE_SIZE = 1024
    wheel = make_wheel(tmp_path, extra_members={"example/data.bin": bytes(range(256)) * 64})
    response = post_upload(wheel, "example", "1.0")
    assert_refused(response, 400, "File too large. Limit for project 'example' is 0 MB.")
    assert_nothing_stored(packages_dir)


def test_project_over_the_total_size_limit_is_refused(post_upload, tmp_path, settings):
    assert post_upload(make_wheel(tmp_path, "big", "1.0"), "big", "1.0").status_code == 200
    settings.CHEESESHOP_MAX_PROJECT_SIZE = File.objects.get().size + 10
    response = post_upload(make_sdist(tmp_path, "big", "1.0"), "big", "1.0")
    assert_refused(response, 400, "Project size too large.")
    assert File.objects.count() == 1


# --- the file and its metadata ----------------------------------------------------------------


def test_image_content_type_is_refused(post_upload, tmp_path, packages_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    wheel = make_wheel(tmp_path)
    content = SimpleUploadedFile(wheel.name, wheel.read_bytes(), "image/png")
    response = post_upload(wheel, "example", "1.0", content=content)
    assert_refused(response, 400, "Invalid distribution file.")
    assert_nothing_stored(packages_dir)


def test_wrong_extension_for_filetype_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path)
    response = post_upload(wheel, "example", "1.0", filetype="sdist", pyversion="source")
    assert_refused(response, 400, "Invalid file extension")
    assert_nothing_stored(packages_dir)


def test_filename_with_control_characters_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, filename="example-1.0-py3-none-any\x07.whl")
    response = post_upload(wheel, "example", "1.0")
    assert response.status_code == 400
    assert "non-printable characters" in response.content.decode()
    assert_nothing_stored(packages_dir)


def test_a_file_that_is_not_an_archive_is_refused(post_upload, tmp_path, packages_dir):
    fake = tmp_path / "example-1.0-py3-none-any.whl"
    fake.write_bytes(b"#!/bin/sh\necho not a wheel\n")
    response = post_upload(fake, "example", "1.0")
    assert_refused(response, 400, "Invalid distribution file.")
    assert_nothing_stored(packages_dir)


def test_wheel_without_record_is_refused(post_upload, tmp_path, packages_dir):
    response = post_upload(make_wheel(tmp_path, omit=("RECORD",)), "example", "1.0")
    assert_refused(response, 400, "does not contain the required RECORD file")
    assert_nothing_stored(packages_dir)


def test_archive_with_path_traversal_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, extra_members={"../../evil.py": b"boom"})
    response = post_upload(wheel, "example", "1.0")
    assert_refused(response, 400, "Invalid distribution file.")
    assert_nothing_stored(packages_dir)


def test_an_sdist_writing_through_a_chain_of_links_is_refused(post_upload, tmp_path, packages_dir):
    top = "example-1.0"
    sdist = write_tar_gz(
        tmp_path / "example-1.0.tar.gz",
        [
            tar_member(top, type=tarfile.DIRTYPE),
            tar_member(f"{top}/PKG-INFO", core_metadata("example", "1.0")),
            tar_member(f"{top}/d", type=tarfile.DIRTYPE),
            tar_member(f"{top}/a/b/c/l1", type=tarfile.SYMTYPE, linkname="../../../d"),
            tar_member(f"{top}/a/b/c/l1/l2", type=tarfile.SYMTYPE, linkname="../../.."),
            tar_member(f"{top}/a/b/c/l1/l2/pwned.txt", b"pwned"),
        ],
    )
    response = post_upload(sdist, "example", "1.0")
    assert_refused(response, 400, f"is inside the symbolic link '{top}/a/b/c/l1'")
    assert_nothing_stored(packages_dir)


def test_a_wheel_with_an_entry_missing_from_its_central_directory_is_refused(
    post_upload, tmp_path, packages_dir
):
    wheel = make_wheel(tmp_path, extra_members={"example/hidden.py": b"evil"})
    response = post_upload(
        drop_from_central_directory(wheel, "example/hidden.py"), "example", "1.0"
    )
    assert_refused(response, 400, "belong to no member listed in its central directory")
    assert_nothing_stored(packages_dir)


def test_form_that_disagrees_with_the_artifact_is_refused(post_upload, tmp_path, packages_dir):
    response = post_upload(make_wheel(tmp_path, "example", "1.0"), "example", "2.0")
    assert response.status_code == 400
    assert "2.0" in response.reason_phrase
    assert "1.0" in response.reason_phrase
    assert_nothing_stored(packages_dir)


def test_invalid_metadata_in_the_artifact_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, metadata={"Classifier": "Not :: A :: Classifier"})
    response = post_upload(wheel, "example", "1.0")
    assert response.status_code == 400
    assert "Not :: A :: Classifier" in response.reason_phrase
    assert "core-metadata" in response.reason_phrase
    assert_nothing_stored(packages_dir)


def test_local_version_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, "example", "1.0+local")
    response = post_upload(wheel, "example", "1.0+local")
    assert response.status_code == 400
    assert "local" in response.reason_phrase.lower()
    assert_nothing_stored(packages_dir)


def test_direct_url_dependency_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, metadata={"Requires-Dist": "evil @ https://example.com/e.whl"})
    response = post_upload(wheel, "example", "1.0")
    assert response.status_code == 400
    assert "Can't have direct dependency" in response.reason_phrase
    assert_nothing_stored(packages_dir)


def test_description_that_does_not_render_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(
        tmp_path,
        metadata={
            "Description-Content-Type": "text/x-rst",
            "Description": "Broken\n===\n\n.. x::",
        },
    )
    response = post_upload(wheel, "example", "1.0")
    assert_refused(response, 400, "The description failed to render")
    assert_nothing_stored(packages_dir)


def test_wheel_filename_with_wrong_name_spelling_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, "Example.Pkg", "1.0", filename="Example.Pkg-1.0-py3-none-any.whl")
    response = post_upload(wheel, "Example.Pkg", "1.0")
    assert response.status_code == 400
    assert "example_pkg" in response.reason_phrase
    assert_nothing_stored(packages_dir)


def test_wheel_with_unsupported_platform_tag_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(tmp_path, tags="cp311-cp311-linux_x86_64")
    response = post_upload(wheel, "example", "1.0", pyversion="cp311")
    assert_refused(response, 400, "unsupported platform tag 'linux_x86_64'")
    assert_nothing_stored(packages_dir)


def test_zip_sdist_is_refused(post_upload, tmp_path, packages_dir):
    from tests.packaging.dists import core_metadata, write_zip

    sdist = write_zip(
        tmp_path / "example-1.0.zip", {"example-1.0/PKG-INFO": core_metadata("example", "1.0")}
    )
    response = post_upload(sdist, "example", "1.0")
    assert response.status_code == 400
    assert_nothing_stored(packages_dir)


# --- names --------------------------------------------------------------------------------------


def test_stdlib_name_is_refused(post_upload, tmp_path, packages_dir):
    response = post_upload(make_wheel(tmp_path, "asyncio", "1.0"), "asyncio", "1.0")
    assert_refused(response, 400, "conflict with Python Standard Library module name")
    assert_nothing_stored(packages_dir)


def test_prohibited_name_is_refused(post_upload, tmp_path, packages_dir):
    ProhibitedProjectName.objects.create(name="reserved-name")
    response = post_upload(make_wheel(tmp_path, "Reserved_Name", "1.0"), "Reserved_Name", "1.0")
    assert_refused(response, 400, "isn't allowed")
    assert not Project.objects.exists()
    assert stored_files(packages_dir) == []


def test_too_similar_name_is_refused_and_names_the_existing_project(post_upload, tmp_path):
    assert (
        post_upload(make_wheel(tmp_path, "cool-lib", "1.0"), "cool-lib", "1.0").status_code == 200
    )
    response = post_upload(make_wheel(tmp_path, "coo1lib", "1.0"), "coo1lib", "1.0")
    assert_refused(response, 400, "is too similar to the existing project 'cool-lib'")
    assert Project.objects.count() == 1


def test_project_creation_rate_limit(post_upload, tmp_path, settings):
    settings.CHEESESHOP_PROJECT_CREATE_USER_LIMIT = "2/hour"
    for name in ("first-one", "second-one"):
        assert post_upload(make_wheel(tmp_path, name, "1.0"), name, "1.0").status_code == 200
    response = post_upload(make_wheel(tmp_path, "third-one", "1.0"), "third-one", "1.0")
    assert_refused(response, 429, "Too many new projects created")
    assert Project.objects.count() == 2


# --- files and releases -----------------------------------------------------------------------


def test_different_bytes_under_a_used_filename_are_refused(post_upload, tmp_path):
    wheel = make_wheel(tmp_path, "clash", "1.0")
    assert post_upload(wheel, "clash", "1.0").status_code == 200
    other = make_wheel(tmp_path / "..", "clash", "1.0", extra_members={"clash/x.py": b"x = 1"})
    response = post_upload(other, "clash", "1.0")
    assert_refused(response, 400, f"File already exists ('{wheel.name}'")
    assert File.objects.count() == 1


def test_filename_of_a_deleted_file_cannot_be_reused(post_upload, tmp_path):
    wheel = make_wheel(tmp_path, "gone", "1.0")
    assert post_upload(wheel, "gone", "1.0").status_code == 200
    File.objects.all().delete()
    response = post_upload(wheel, "gone", "1.0")
    assert_refused(response, 400, "This filename was previously used by a file that has since")
    assert not File.objects.exists()


def test_second_sdist_for_a_release_is_refused(post_upload, tmp_path):
    assert post_upload(make_sdist(tmp_path, "twice", "1.0"), "twice", "1.0").status_code == 200
    from tests.packaging.dists import core_metadata, tar_member, write_tar_gz

    # Same release, another valid sdist (other bytes, other name spelling is refused earlier,
    # so use a post-normalisation-equal version spelling).
    second = make_sdist(tmp_path / "..", "twice", "1.0.0")
    response = post_upload(second, "twice", "1.0.0")
    assert_refused(response, 400, "Only one sdist may be uploaded per release.")
    assert File.objects.count() == 1
    del core_metadata, tar_member, write_tar_gz


@pytest.fixture
def early_check_misses_once(monkeypatch):
    """The view's early look for an existing file finds nothing, as when the file is stored
    by a concurrent upload right after that look: the transaction must still get it right."""
    from cheeseshop.packaging import services

    real = services.find_existing_file
    calls = []

    def miss_first(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(services, "find_existing_file", miss_first)
    return calls


def test_a_repeat_stored_after_the_early_check_answers_200_and_changes_nothing(
    post_upload, tmp_path, packages_dir, early_check_misses_once
):
    wheel = make_wheel(tmp_path, "racing", "1.0")
    assert post_upload(wheel, "racing", "1.0").status_code == 200
    events, stored = Event.objects.count(), stored_files(packages_dir)
    early_check_misses_once.clear()

    assert post_upload(wheel, "racing", "1.0").status_code == 200

    assert len(early_check_misses_once) == 2  # the early look, then the retried transaction's
    assert File.objects.count() == 1
    assert Event.objects.count() == events
    assert stored_files(packages_dir) == stored


def test_a_collision_stored_after_the_early_check_is_refused(
    post_upload, tmp_path, packages_dir, early_check_misses_once
):
    wheel = make_wheel(tmp_path, "racing", "1.0")
    assert post_upload(wheel, "racing", "1.0").status_code == 200
    events, stored = Event.objects.count(), stored_files(packages_dir)
    early_check_misses_once.clear()
    other = make_wheel(tmp_path / "..", "racing", "1.0", extra_members={"racing/x.py": b"x = 1"})

    response = post_upload(other, "racing", "1.0")

    assert_refused(response, 400, f"File already exists ('{wheel.name}'")
    assert File.objects.count() == 1
    assert Event.objects.count() == events
    assert stored_files(packages_dir) == stored


def test_a_deleted_filename_reused_after_the_early_check_is_refused(
    post_upload, tmp_path, packages_dir, early_check_misses_once
):
    wheel = make_wheel(tmp_path, "racing", "1.0")
    assert post_upload(wheel, "racing", "1.0").status_code == 200
    File.objects.all().delete()
    early_check_misses_once.clear()

    response = post_upload(wheel, "racing", "1.0")

    assert_refused(response, 400, "This filename was previously used by a file that has since")
    assert not File.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_database_tasks_the_task_row_commits_with_the_upload(
    post_upload, tmp_path, settings, monkeypatch, client
):
    from django_tasks_db.models import DBTaskResult

    from cheeseshop.packaging import storage

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert post_upload(make_wheel(tmp_path, "queued", "1.0"), "queued", "1.0").status_code == 200
    tasks = DBTaskResult.objects.order_by("task_path")
    assert [task.task_path.rsplit(".", 1)[1] for task in tasks] == [
        "check_upload",
        "verify_stored_file",
    ]
    assert {tuple(task.args_kwargs["args"]) for task in tasks} == {(File.objects.get().pk,)}

    def failing_save_bytes(path, data):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "save_bytes", failing_save_bytes)
    client.raise_request_exception = False
    failed = post_upload(make_wheel(tmp_path / "..", "queued", "1.1"), "queued", "1.1")
    assert failed.status_code == 500
    assert DBTaskResult.objects.count() == 2  # rolled back with the upload's rows


def test_failed_storage_write_leaves_no_row_and_no_object(
    post_upload, tmp_path, packages_dir, monkeypatch, client
):
    from cheeseshop.packaging import storage

    def failing_save_bytes(path, data):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "save_bytes", failing_save_bytes)
    client.raise_request_exception = False
    response = post_upload(make_wheel(tmp_path), "example", "1.0")
    assert response.status_code == 500
    assert_nothing_stored(packages_dir)


def test_an_upload_to_object_storage_stores_the_file_and_its_metadata_in_the_bucket(
    post_upload, tmp_path, s3_packages_storage
):
    wheel = make_wheel(tmp_path, "example", "1.0")
    assert post_upload(wheel, "example", "1.0").status_code == 200

    path = File.objects.get().path
    assert sorted(s3_packages_storage.object_keys()) == [
        f"files/{path}",
        f"files/{path}.metadata",
    ]
    stored = s3_packages_storage.client().get_object(
        Bucket=s3_packages_storage.bucket, Key=f"files/{path}"
    )
    assert stored["Body"].read() == wheel.read_bytes()


def test_a_failed_upload_to_object_storage_leaves_no_object_in_the_bucket(
    post_upload, tmp_path, s3_packages_storage, monkeypatch, client
):
    from cheeseshop.packaging import storage

    def failing_save_bytes(path, data):  # the wheel is stored, its metadata is not
        raise OSError("bucket full")

    monkeypatch.setattr(storage, "save_bytes", failing_save_bytes)
    client.raise_request_exception = False
    response = post_upload(make_wheel(tmp_path), "example", "1.0")

    assert response.status_code == 500
    assert not File.objects.exists()
    assert s3_packages_storage.object_keys() == []


def test_wheel_missing_a_declared_license_file_is_refused(post_upload, tmp_path, packages_dir):
    wheel = make_wheel(
        tmp_path, metadata={"License-Expression": "MIT", "License-File": "LICENSE.txt"}
    )
    response = post_upload(wheel, "example", "1.0")
    assert_refused(response, 400, "License-File LICENSE.txt does not exist in distribution file")
    assert_nothing_stored(packages_dir)


def test_a_project_upload_limit_raises_its_file_size_limit(post_upload, tmp_path, settings):
    settings.CHEESESHOP_MAX_FILE_SIZE = 1024 * 1024
    assert post_upload(make_wheel(tmp_path, "roomy", "1.0"), "roomy", "1.0").status_code == 200
    Project.objects.filter(name="roomy").update(upload_limit=3 * 1024 * 1024)
    payload = {"roomy/data.bin": __import__("os").urandom(2 * 1024 * 1024)}
    bigger = make_wheel(tmp_path / "..", "roomy", "1.1", extra_members=payload)
    assert post_upload(bigger, "roomy", "1.1").status_code == 200
    other = make_wheel(tmp_path / "..", "cramped", "1.0", extra_members=payload)
    response = post_upload(other, "cramped", "1.0")
    assert_refused(response, 400, "File too large. Limit for project 'cramped' is 1 MB.")


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (UploadRejected("a rule"), 400),
        (UploadNotPermitted("a role"), 403),
        (InvalidToken("a token"), 403),
        (Disabled("a flag"), 403),
        (ProjectNameTaken("a name"), 409),
        (Gone("a verb"), 410),
        (TooManyNewProjects("a rate"), 429),
    ],
)
def test_each_kind_of_refusal_has_the_legacy_protocols_status(refusal, status):
    assert status_of(refusal) == status


# --- descriptions built to break the renderer (F8) ----------------------------------------------


@pytest.mark.parametrize(("description", "content_type"), HOSTILE_DESCRIPTIONS)
def test_a_description_built_to_break_the_renderer_is_refused_or_accepted_never_a_crash(
    post_upload, tmp_path, packages_dir, description, content_type
):
    fields = {"Description": description}
    if content_type:
        fields["Description-Content-Type"] = content_type
    wheel = make_wheel(tmp_path, metadata=fields)
    response = post_upload(wheel, "example", "1.0")
    if response.status_code == 400:
        assert_refused(response, 400, "The description failed to render")
        assert_nothing_stored(packages_dir)
    else:
        assert response.status_code == 200, response.content
        assert Release.objects.get().description == description


def test_restructuredtext_nested_deeper_than_the_stack_is_refused_as_not_rendering(
    post_upload, tmp_path, packages_dir
):
    wheel = make_wheel(
        tmp_path,
        metadata={"Description-Content-Type": "text/x-rst", "Description": nested_rst_list()},
    )
    response = post_upload(wheel, "example", "1.0")
    assert_refused(response, 400, "The description failed to render for 'text/x-rst'")
    assert_nothing_stored(packages_dir)


# --- metadata size limits (F9) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Keywords": ",".join(["k"] * 300_000)}, "'keywords' has 300000 entries"),
        ({"Classifier": ["Framework :: Django"] * 600}, "'classifier' has 600 entries"),
        ({"Requires-Dist": [f"d{i}" for i in range(2000)]}, "'requires-dist' has 2000 entries"),
        ({"Author": "a" * 10_000}, "'author' has a value of 10000 characters"),
        ({"Description": "x" * (1024 * 1024)}, "The core metadata is "),
    ],
)
def test_metadata_over_its_limits_is_refused_and_nothing_stored(
    post_upload, tmp_path, packages_dir, fields, message
):
    wheel = make_wheel(tmp_path, metadata=fields)
    response = post_upload(wheel, "example", "1.0")
    assert_refused(response, 400, message)
    assert_nothing_stored(packages_dir)


# --- the description is rendered once, at upload, within a budget (F9) ------------------------


def test_the_description_is_rendered_at_upload_and_stored(post_upload, tmp_path):
    wheel = make_wheel(
        tmp_path, metadata={"Description-Content-Type": "text/markdown", "Description": "# Hi"}
    )
    assert post_upload(wheel, "example", "1.0").status_code == 200
    assert '<h3 id="user-content-hi">Hi</h3>' in Release.objects.get().description_html


def test_a_description_slower_than_the_budget_is_accepted_and_stored_as_plain_text(
    post_upload, tmp_path, settings, client
):
    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 0.05
    wheel = make_wheel(
        tmp_path,
        metadata={"Description-Content-Type": "text/x-rst", "Description": rst_grid_table(400)},
    )
    assert post_upload(wheel, "example", "1.0").status_code == 200
    stored = Release.objects.get().description_html
    assert stored.startswith("+---+")
    assert "<table" not in stored
    page = client.get("/project/example/").content.decode()
    assert '<div class="readme">+---+' in page


# --- the upload form's own fields are bounded, apart from the file (F6, F9) ---------------------


@pytest.mark.parametrize(
    ("overrides", "field", "limit"),
    [
        ({"comment": "c" * 2049}, "comment", 2048),
        ({"summary": "s" * 8193}, "summary", 8192),
        ({"author": "a" * 8193}, "author", 8192),
        ({"unknown_field": "u" * 8193}, "unknown_field", 8192),
        ({"license": "l" * (64 * 1024 + 1)}, "license", 64 * 1024),
        ({"description": "d" * 10_001}, "description", 10_000),
    ],
)
def test_a_form_field_over_its_limit_is_refused_and_nothing_stored(
    post_upload, tmp_path, packages_dir, settings, overrides, field, limit
):
    settings.CHEESESHOP_MAX_METADATA_SIZE = 10_000
    response = post_upload(make_wheel(tmp_path), "example", "1.0", **overrides)
    assert_refused(response, 400, f"The form field '{field}' has {limit + 1} characters")
    assert f"at most {limit} are allowed" in response.content.decode()
    assert_nothing_stored(packages_dir)


def test_a_comment_at_its_limit_is_stored(post_upload, tmp_path):
    response = post_upload(make_wheel(tmp_path), "example", "1.0", comment="c" * 2048)
    assert response.status_code == 200, response.content
    assert File.objects.get().comment_text == "c" * 2048


def test_upload_form_fields_over_the_form_limit_are_refused_with_the_rule(
    post_upload, tmp_path, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    wheel = make_wheel(tmp_path, "chatty", "1.0")
    response = post_upload(wheel, "chatty", "1.0", comment="x" * (64 * 1024))
    assert response.status_code == 400
    assert "The upload form's fields are larger than 64 KiB in all" in response.content.decode()
    assert not Project.objects.filter(name="chatty").exists()


# -- characters (cheeseshop.inputs): the form's fields and the file's metadata

# Every field of the form the upload reads, and a valid value to spoil.
READ_FIELDS = {
    ":action": "file_upload",
    "protocol_version": "1",
    "metadata_version": "2.4",
    "name": "example",
    "version": "1.0",
    "filetype": "bdist_wheel",
    "pyversion": "py3",
    "md5_digest": None,
    "sha256_digest": None,
    "blake2_256_digest": None,
    "comment": "A comment",
}


def _spoiled(form_value: str, character: str) -> str:
    return form_value[:1] + character + form_value[1:]


SPOILED_FIELDS = [
    (field, character, named)
    for field in READ_FIELDS
    for character, named in [
        ("\x00", "a NUL character (U+0000)"),
        ("\x1b", "a control character (U+001B)"),
    ]
    # A comment may hold several lines: only NUL is refused there.
    if field != "comment" or character == "\x00"
]


@pytest.mark.parametrize(("field", "character", "named"), SPOILED_FIELDS)
def test_a_control_character_in_any_form_field_is_refused(
    post_upload, tmp_path, packages_dir, field, character, named
):
    wheel = make_wheel(tmp_path, "example", "1.0")
    value = READ_FIELDS[field]
    if value is None:  # a digest: the real one, spoiled
        value = upload_form(wheel, "example", "1.0")[field]
    response = post_upload(wheel, "example", "1.0", **{field: _spoiled(value, character)})
    assert_refused(
        response, 400, f"The form field '{field}' contains {named}, which is not allowed."
    )
    assert_nothing_stored(packages_dir)


@pytest.mark.parametrize(
    "metadata",
    [
        {"Summary": "A\x00summary"},
        {"Author": "Alice\x00"},
        {"Keywords": "cheese,\x00shop"},
        {"Classifier": "Programming Language :: Python\x00"},
        {"Project-URL": "Source\x00, https://example.org/"},
        {"Description": "A README\x00"},
        {"Requires-Dist": "requests\x1b"},
    ],
)
def test_a_control_character_in_the_files_metadata_is_refused(
    post_upload, tmp_path, packages_dir, metadata
):
    wheel = make_wheel(tmp_path, "example", "1.0", metadata=metadata)
    response = post_upload(wheel, "example", "1.0")
    assert response.status_code == 400
    assert "which is not allowed" in response.reason_phrase
    assert_nothing_stored(packages_dir)


def test_a_comment_of_several_lines_is_accepted(post_upload, tmp_path):
    wheel = make_wheel(tmp_path, "example", "1.0")
    response = post_upload(wheel, "example", "1.0", comment="line one\r\nline two\tend")
    assert response.status_code == 200


def test_a_reason_phrase_never_holds_a_control_character():
    response = _response("Bad value 'a\x00b\x1bc\x7f'\nsecond line", 400)
    assert response.reason_phrase == "Bad value 'a?b?c?' second line"
    assert response.content == b"Bad value 'a\x00b\x1bc\x7f'\nsecond line\n"
