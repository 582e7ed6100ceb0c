"""The user's audit pages, mounted at ``manage/account/`` (app_name "audit")."""

from django.urls import path

from cheeseshop.audit import views

app_name = "audit"

urlpatterns = [
    path("history/", views.account_history, name="account-history"),
    path("notifications/", views.notification_settings, name="notifications"),
]
