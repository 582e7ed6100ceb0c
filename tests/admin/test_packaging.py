"""Projects, releases and files in the admin: looked at, and removed only through the changes
service (after a confirmation page), leaving the filename registry and an audit trail."""

import pytest
from django.contrib.auth.models import Permission

from cheeseshop.accounts.services import create_user
from cheeseshop.audit.models import Event
from cheeseshop.packaging.models import File, FilenameRegistry, Project, Release
from tests.accounts.sessions import signed_in_through_the_site
from tests.admin.conftest import run_action, simple_json
from tests.packaging.dists import make_wheel
from tests.upload.conftest import stored_files

pytestmark = pytest.mark.django_db

PROJECTS = "/admin/packaging/project/"
RELEASES = "/admin/packaging/release/"
FILES = "/admin/packaging/file/"


def tags_since(event_id: int) -> list[str]:
    return list(Event.objects.filter(id__gt=event_id).order_by("id").values_list("tag", flat=True))


def last_event_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_remove_file_asks_for_confirmation_first(staff_client, uploaded):
    uploaded()
    file = File.objects.get()
    before = last_event_id()

    page = run_action(staff_client, FILES, "remove_files", [file.pk])

    assert page.status_code == 200
    assert file.filename in page.content.decode()
    assert 'name="post" value="yes"' in page.content.decode()
    assert File.objects.filter(pk=file.pk).exists()
    assert tags_since(before) == []


def test_remove_file_takes_it_off_the_index_and_keeps_its_filename(
    staff_client, staff, uploaded, packages_dir, client, django_capture_on_commit_callbacks
):
    wheel = uploaded()
    uploaded("example-pkg", "2.0")
    file = File.objects.get(filename=wheel.name)
    before = last_event_id()

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, FILES, "remove_files", [file.pk], confirm=True)

    assert response.status_code == 302
    assert not File.objects.filter(pk=file.pk).exists()
    listed = [f["filename"] for f in simple_json(client, "example-pkg")["files"]]
    assert wheel.name not in listed
    assert listed  # the 2.0 wheel is still there
    assert FilenameRegistry.objects.filter(filename=wheel.name).exists()
    assert not {file.path, file.metadata_path} & set(stored_files(packages_dir))
    assert tags_since(before) == ["file:remove", "admin:file:remove"]
    admin_event = Event.objects.get(tag="admin:file:remove")
    assert admin_event.actor == staff
    assert admin_event.credential == {"method": "admin"}
    assert admin_event.additional["filename"] == wheel.name
    assert Project.objects.get().last_serial == admin_event.id


def test_removed_filename_cannot_be_uploaded_again(staff_client, uploaded, post_upload, tmp_path):
    uploaded()
    run_action(staff_client, FILES, "remove_files", [File.objects.get().pk], confirm=True)
    again = post_upload(make_wheel(tmp_path, "example-pkg", "1.0"), "example-pkg", "1.0")
    assert again.status_code == 400
    assert "previously used by a file that has since been deleted" in again.content.decode()


def test_remove_release_removes_its_files_and_records_events(
    staff_client, staff, uploaded, client
):
    uploaded()
    uploaded("example-pkg", "2.0")
    release = Release.objects.get(version="1.0")
    before = last_event_id()

    page = run_action(staff_client, RELEASES, "remove_releases", [release.pk])
    assert "example-pkg 1.0: 1 file" in page.content.decode()
    run_action(staff_client, RELEASES, "remove_releases", [release.pk], confirm=True)

    assert list(Release.objects.values_list("version", flat=True)) == ["2.0"]
    assert File.objects.count() == 1
    assert all("-2.0-" in f["filename"] for f in simple_json(client, "example-pkg")["files"])
    assert tags_since(before) == ["project:release:remove", "admin:release:remove"]
    assert Event.objects.get(tag="admin:release:remove").actor == staff


def test_remove_project_removes_everything_but_filenames_and_events(
    staff_client, uploaded, client
):
    wheel = uploaded()
    project = Project.objects.get()
    before = last_event_id()

    run_action(staff_client, PROJECTS, "remove_projects", [project.pk], confirm=True)

    assert not Project.objects.exists()
    assert not File.objects.exists()
    assert client.get("/simple/example-pkg/").status_code == 404
    assert FilenameRegistry.objects.filter(filename=wheel.name).exists()
    assert tags_since(before) == ["project:remove", "admin:project:remove"]
    assert Event.objects.filter(project_id=project.pk, tag="project:create").exists()


def test_remove_project_confirmation_counts_what_goes(staff_client, uploaded):
    uploaded()
    uploaded("example-pkg", "2.0")
    page = run_action(staff_client, PROJECTS, "remove_projects", [Project.objects.get().pk])
    assert "example-pkg: 2 releases, 2 files" in page.content.decode()


def test_removing_a_file_already_gone_is_reported_not_crashed(staff_client, uploaded):
    uploaded()
    file = File.objects.get()
    # Two admins confirm at once: the second finds the queryset empty and removes nothing.
    run_action(staff_client, FILES, "remove_files", [file.pk], confirm=True)
    response = run_action(staff_client, FILES, "remove_files", [file.pk], confirm=True)
    assert response.status_code in (200, 302)
    assert Event.objects.filter(tag="admin:file:remove").count() == 1


@pytest.mark.parametrize("changelist", [PROJECTS, RELEASES, FILES])
def test_default_delete_and_add_are_switched_off(staff_client, uploaded, changelist):
    uploaded()
    model = {PROJECTS: Project, RELEASES: Release, FILES: File}[changelist]
    obj = model.objects.get()
    assert staff_client.get(f"{changelist}add/").status_code == 403
    assert staff_client.get(f"{changelist}{obj.pk}/delete/").status_code == 403
    run_action(staff_client, changelist, "delete_selected", [obj.pk], confirm=True)
    assert model.objects.filter(pk=obj.pk).exists()


def test_release_page_is_read_only(staff_client, uploaded):
    uploaded()
    release = Release.objects.get()
    url = f"{RELEASES}{release.pk}/change/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"version": "9.9"})
    assert response.status_code == 403
    release.refresh_from_db()
    assert release.version == "1.0"


def test_staff_without_delete_permission_cannot_remove_files(uploaded):
    viewer = create_user("viewer", "viewer@example.com")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_file"))
    client = signed_in_through_the_site(viewer)
    uploaded()
    file = File.objects.get()

    assert client.get(FILES).status_code == 200
    assert "remove_files" not in client.get(FILES).content.decode()
    run_action(client, FILES, "remove_files", [file.pk], confirm=True)

    assert File.objects.filter(pk=file.pk).exists()
    assert not Event.objects.filter(tag="admin:file:remove").exists()


@pytest.mark.parametrize(
    ("changelist", "term", "expected"),
    [
        (PROJECTS, "Example", 1),
        (PROJECTS, "nothing-like-it", 0),
        (FILES, "example_pkg-1.0", 1),
        (RELEASES, "example-pkg", 1),
    ],
)
def test_search(staff_client, uploaded, changelist, term, expected):
    uploaded()
    page = staff_client.get(changelist, {"q": term})
    assert len(page.context["cl"].result_list) == expected
