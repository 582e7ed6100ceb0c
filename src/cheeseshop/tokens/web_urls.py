"""The API token pages, mounted at ``manage/account/tokens/`` (app_name "tokens")."""

from django.urls import path

from cheeseshop.tokens import views

app_name = "tokens"

urlpatterns = [
    path("", views.token_list, name="list"),
    path("new/", views.token_create, name="create"),
    path("new/created/", views.token_created, name="created"),
    path("<uuid:token_id>/revoke/", views.token_revoke, name="revoke"),
]
