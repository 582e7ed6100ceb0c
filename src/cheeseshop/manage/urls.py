from django.urls import path

from cheeseshop.manage import views

app_name = "manage"

project = "project/<str:name>/"
release = project + "release/<str:version>/"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("projects/", views.projects, name="projects"),
    path(
        "invitations/<int:invitation_id>/accept/",
        views.invitation_accept,
        name="invitation-accept",
    ),
    path(
        "invitations/<int:invitation_id>/decline/",
        views.invitation_decline,
        name="invitation-decline",
    ),
    path(project, views.project_settings, name="project"),
    path(project + "settings/", views.project_settings, name="project-settings"),
    path(project + "delete/", views.project_delete, name="project-delete"),
    path(project + "collaboration/", views.collaboration, name="collaboration"),
    path(
        project + "collaboration/invite/",
        views.collaboration_invite,
        name="collaboration-invite",
    ),
    path(
        project + "collaboration/roles/<int:role_id>/change/",
        views.role_change,
        name="role-change",
    ),
    path(
        project + "collaboration/roles/<int:role_id>/remove/",
        views.role_remove,
        name="role-remove",
    ),
    path(
        project + "collaboration/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(project + "releases/", views.releases, name="releases"),
    path(release, views.release_detail, name="release"),
    path(release + "yank/", views.release_yank, name="release-yank"),
    path(release + "unyank/", views.release_unyank, name="release-unyank"),
    path(release + "delete/", views.release_delete, name="release-delete"),
    path(
        release + "files/<int:file_id>/delete/",
        views.file_delete,
        name="file-delete",
    ),
    path(project + "history/", views.history, name="history"),
]
