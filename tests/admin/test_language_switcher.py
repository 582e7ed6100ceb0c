"""The admin has the site's language switcher too, in its footer (templates/admin/base_site.html),
and follows the staff member's chosen language."""

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def switcher_options(page: str) -> list[tuple[str, str, str]]:
    options = re.findall(r'<option value="([^"]*)"\s+lang="([^"]*)"[^>]*>([^<]*)</option>', page)
    return [(value, lang, text.strip()) for value, lang, text in options]


@pytest.mark.parametrize("path", ["/admin/", "/admin/accounts/user/"])
def test_admin_pages_offer_every_language_named_in_itself(staff_client, path):
    page = staff_client.get(path).content.decode()
    assert '<form action="/i18n/setlang/" method="post" class="language-form">' in page
    assert f'<input name="next" type="hidden" value="{path}">' in page
    assert switcher_options(page) == [(code, code, name) for code, name in settings.LANGUAGES]


def test_the_admin_follows_the_staff_members_language_and_the_switcher_stores_it(
    staff, staff_client
):
    response = staff_client.post("/i18n/setlang/", {"language": "fr", "next": "/admin/"})
    assert response["Location"] == "/admin/"
    staff.refresh_from_db()
    assert staff.language == "fr"
    page = staff_client.get("/admin/", headers={"Accept-Language": "en"}).content.decode()
    assert '<html lang="fr"' in page


def test_the_user_page_shows_the_users_language(staff_client, staff):
    staff.language = "ja"
    staff.save(update_fields=["language"])
    page = staff_client.get(f"/admin/accounts/user/{staff.pk}/change/").content.decode()
    assert '<option value="ja" selected>日本語</option>' in page
