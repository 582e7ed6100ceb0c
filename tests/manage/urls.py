"""Every URL of a project's management pages, for tests that must cover them all."""

from cheeseshop.packaging.models import Project, Role, RoleInvitation, RoleName

PAGES = [
    "/manage/project/{name}/",
    "/manage/project/{name}/settings/",
    "/manage/project/{name}/collaboration/",
    "/manage/project/{name}/releases/",
    "/manage/project/{name}/release/1.0/",
    "/manage/project/{name}/history/",
]

# Each write endpoint with the data a valid request would send.
WRITES = [
    ("/manage/project/{name}/delete/", {"confirm_project_name": "Cheese_Tools"}),
    ("/manage/project/{name}/collaboration/invite/", {"username": "sam", "role_name": "Owner"}),
    (
        "/manage/project/{name}/collaboration/roles/{owner_role}/change/",
        {"role_name": "Maintainer"},
    ),
    ("/manage/project/{name}/collaboration/roles/{owner_role}/remove/", {}),
    ("/manage/project/{name}/collaboration/invitations/{invitation}/revoke/", {}),
    ("/manage/project/{name}/release/1.0/yank/", {"reason": "broken"}),
    ("/manage/project/{name}/release/1.0/unyank/", {}),
    ("/manage/project/{name}/release/1.0/delete/", {"confirm_version": "1.0"}),
    (
        "/manage/project/{name}/release/1.0/files/{file}/delete/",
        {"confirm_filename": "{filename}"},
    ),
]

# Anyone may remove their own role (leave); every other write is for Owners only.
OWNER_ONLY_WRITES = [(url, data) for url, data in WRITES if not url.endswith("/remove/")]

ALL = PAGES + [url for url, _data in WRITES]


def url_values(project: Project, invitee) -> dict:
    """The ids the URL templates need; creates a pending invitation for ``invitee``."""
    owner_role = Role.objects.get(project=project, role_name=RoleName.OWNER)
    invitation = RoleInvitation.objects.create(
        user=invitee, project=project, role_name=RoleName.MAINTAINER, invited_by=owner_role.user
    )
    file = project.releases.get(version="1.0").files.get(packagetype="bdist_wheel")
    return {
        "name": project.normalized_name,
        "owner_role": owner_role.pk,
        "invitation": invitation.pk,
        "file": file.pk,
        "filename": file.filename,
    }


def fill(template: str, values: dict) -> str:
    return template.format(**values)


def fill_data(data: dict, values: dict) -> dict:
    return {key: value.format(**values) for key, value in data.items()}
