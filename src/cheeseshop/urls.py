from django.contrib import admin
from django.urls import include, path

from cheeseshop.accounts import language_views
from cheeseshop.upload.views import legacy_redirect

urlpatterns = [
    path("legacy", legacy_redirect),
    path("legacy/", include("cheeseshop.upload.urls")),
    # Before the index: its hash-prefixed /packages/ route hands unknown paths back to the index.
    path("", include("cheeseshop.tuf.urls")),
    path("", include("cheeseshop.index.urls")),
    path("", include("cheeseshop.web.urls")),
    path("", include("cheeseshop.tokens.urls")),
    path("", include("cheeseshop.operations.urls")),
    path("manage/account/tokens/", include("cheeseshop.tokens.web_urls")),
    path("manage/account/language/", language_views.language_settings, name="account-language"),
    path("manage/account/", include("cheeseshop.accounts.security_urls")),
    path("manage/", include("cheeseshop.manage.urls")),
    path("account/", include("cheeseshop.accounts.urls")),
    # Django's set_language, also storing a signed-in user's choice.
    path("i18n/setlang/", language_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

# A request that fails because the database is down answers a short 503 (else Django's 500).
handler500 = "cheeseshop.operations.views.server_error"
