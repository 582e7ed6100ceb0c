"""Yanking and deleting through the pages, as installers then see it."""

import re

import pytest

from cheeseshop.audit.models import Event, EventTag
from cheeseshop.packaging.models import File, Project, Release, Role
from cheeseshop.tokens.services import create_token
from tests.packaging.dists import make_wheel
from tests.upload.conftest import basic_auth, stored_files, upload_form

pytestmark = pytest.mark.django_db

RELEASE = "/manage/project/cheese-tools/release/1.0/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def simple_detail(client, name: str = "cheese-tools") -> dict:
    response = client.get(f"/simple/{name}/", headers={"Accept": SIMPLE_JSON})
    assert response.status_code == 200
    return response.json()


def test_yank_shows_in_pep691_json_and_the_json_api_at_once(owner_client, client, project):
    response = owner_client.post(RELEASE + "yank/", {"reason": "Broken on Windows"})
    assert response.status_code == 302
    files = simple_detail(client)["files"]
    assert files
    assert {file["yanked"] for file in files} == {"Broken on Windows"}
    info = client.get("/pypi/cheese-tools/json").json()
    assert info["info"]["yanked"] is True
    assert info["info"]["yanked_reason"] == "Broken on Windows"
    assert {url["yanked"] for url in info["urls"]} == {True}
    event = Event.objects.get(tag=EventTag.PROJECT_RELEASE_YANK)
    assert event.credential == {"method": "session"}


def test_unyank_shows_at_once_too(owner_client, client, project):
    owner_client.post(RELEASE + "yank/", {"reason": "oops"})
    response = owner_client.post(RELEASE + "unyank/")
    assert response.status_code == 302
    assert {file["yanked"] for file in simple_detail(client)["files"]} == {False}
    assert client.get("/pypi/cheese-tools/json").json()["info"]["yanked"] is False


def test_a_too_long_yank_reason_is_refused(owner_client, release):
    response = owner_client.post(RELEASE + "yank/", {"reason": "x" * 1001})
    assert response.status_code == 400
    release.refresh_from_db()
    assert not release.yanked


def test_yanking_twice_is_refused_with_a_message(owner_client, release):
    owner_client.post(RELEASE + "yank/")
    response = owner_client.post(RELEASE + "yank/", {"reason": "again"})
    assert response.status_code == 400
    assert "already yanked" in response.content.decode()


def test_delete_file_with_the_wrong_filename_is_refused(owner_client, wheel):
    response = owner_client.post(
        RELEASE + f"files/{wheel.pk}/delete/", {"confirm_filename": "cheese_tools-1.0.tar.gz"}
    )
    assert response.status_code == 400
    assert "does not match" in response.content.decode()
    assert File.objects.filter(pk=wheel.pk).exists()


def test_delete_file_removes_it_from_page_and_storage(
    owner_client, client, wheel, packages_dir, django_capture_on_commit_callbacks
):
    assert wheel.path in stored_files(packages_dir)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            RELEASE + f"files/{wheel.pk}/delete/", {"confirm_filename": wheel.filename}
        )
    assert response.status_code == 302
    assert wheel.filename not in {f["filename"] for f in simple_detail(client)["files"]}
    assert wheel.path not in stored_files(packages_dir)
    assert wheel.metadata_path not in stored_files(packages_dir)


def test_a_deleted_file_can_never_be_uploaded_again(
    client, owner, owner_client, tmp_path, django_capture_on_commit_callbacks
):
    token = create_token(owner, description="ci")[1]
    wheel = make_wheel(tmp_path, "fresh-pkg", "1.0")
    auth = {"Authorization": basic_auth(token)}
    assert (
        client.post("/legacy/", upload_form(wheel, "fresh-pkg", "1.0"), headers=auth).status_code
        == 200
    )
    file = File.objects.get(filename=wheel.name)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/manage/project/fresh-pkg/release/1.0/files/{file.pk}/delete/",
            {"confirm_filename": wheel.name},
        )
    assert response.status_code == 302
    assert not File.objects.filter(filename=wheel.name).exists()

    response = client.post("/legacy/", upload_form(wheel, "fresh-pkg", "1.0"), headers=auth)
    assert response.status_code == 400
    assert "previously used" in response.reason_phrase
    assert not File.objects.filter(filename=wheel.name).exists()


def test_delete_release_with_the_wrong_version_is_refused(owner_client, release):
    response = owner_client.post(RELEASE + "delete/", {"confirm_version": "1.0.0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "does not match &#x27;1.0&#x27;" in page
    # The error is tied to its field for screen readers.
    assert 'aria-describedby="id_delete_release_confirm_version_error"' in page
    assert 'id="id_delete_release_confirm_version_error"' in page
    assert Release.objects.filter(pk=release.pk).exists()


def test_delete_release_removes_it_from_the_index(
    owner_client, client, release, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(RELEASE + "delete/", {"confirm_version": "1.0"})
    assert response.status_code == 302
    assert response["Location"] == "/manage/project/cheese-tools/releases/"
    assert not Release.objects.exists()
    detail = simple_detail(client)
    assert detail["files"] == []
    assert detail["versions"] == []
    assert Event.objects.get(tag=EventTag.PROJECT_RELEASE_REMOVE).additional["version"] == "1.0"


def test_delete_project_with_the_wrong_name_is_refused(owner_client, project):
    for typed in ("cheese-tools", "Cheese_Tool", ""):
        response = owner_client.post(
            "/manage/project/cheese-tools/delete/", {"confirm_project_name": typed}
        )
        assert response.status_code == 400
    assert Project.objects.filter(pk=project.pk).exists()


def test_delete_project_removes_it_everywhere_but_keeps_its_history(
    owner_client, client, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/manage/project/cheese-tools/delete/", {"confirm_project_name": "Cheese_Tools"}
        )
    assert response.status_code == 302
    assert response["Location"] == "/manage/projects/"
    assert not Project.objects.exists()
    assert not Role.objects.exists()
    assert client.get("/simple/cheese-tools/").status_code == 404
    assert client.get("/pypi/cheese-tools/json").status_code == 404
    assert Event.objects.filter(tag=EventTag.PROJECT_REMOVE, project_id=project.pk).exists()


def test_each_releases_yank_form_is_folded_behind_a_disclosure_named_by_its_version(
    owner_client, project
):
    from tests.index.builders import make_release

    make_release(project, "2.0")
    page = owner_client.get("/manage/project/cheese-tools/releases/").content.decode()
    disclosures = re.findall(
        r'<details class="row-disclosure">\s*<summary>\s*(.*?)\s*</summary>(.*?)</details>',
        page,
        re.DOTALL,
    )
    assert [summary for summary, _ in disclosures] == ["Yank 2.0…", "Yank 1.0…"]
    assert all('name="reason"' in form for _, form in disclosures)
    assert page.count('name="reason"') == 2  # no form outside its disclosure


def test_a_yanked_release_offers_un_yank_as_a_plain_button(owner_client, release):
    owner_client.post(RELEASE + "yank/")
    page = owner_client.get("/manage/project/cheese-tools/releases/").content.decode()
    assert "row-disclosure" not in page
    assert "Un-yank release 1.0" in page
