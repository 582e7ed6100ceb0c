"""The user's security pages, mounted at ``manage/account/`` (app_name "security")."""

from django.urls import path

from cheeseshop.accounts import security_views

app_name = "security"

urlpatterns = [
    path("history/", security_views.account_history, name="history"),
    path("notifications/", security_views.notification_settings, name="notifications"),
]
