"""The admin index names every section and model in the reader's language, third parties'
included, and no two sections alike."""

from html.parser import HTMLParser

import pytest
from allauth.mfa.models import Authenticator

from tests.admin.conftest import staff, staff_client  # noqa: F401

# Words French writes as English does.
SAME_IN_FRENCH = {"Verdicts"}


class AdminIndex(HTMLParser):
    """The admin index's section names (table captions) and model names (row headers)."""

    def __init__(self):
        super().__init__()
        self.sections: list[str] = []
        self.models: list[str] = []
        self._into: list[str] | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._into, self._text = self.sections, ""
        elif tag == "th" and dict(attrs).get("scope") == "row":
            self._into, self._text = self.models, ""

    def handle_endtag(self, tag):
        if tag in {"caption", "th"} and self._into is not None:
            self._into.append(" ".join(self._text.split()))
            self._into = None

    def handle_data(self, data):
        if self._into is not None:
            self._text += data


def _admin_index(client, language: str) -> AdminIndex:
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    index = AdminIndex()
    index.feed(response.content.decode())
    return index


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_two_admin_sections_share_a_name(staff_client, language):  # noqa: F811
    sections = _admin_index(staff_client, language).sections
    assert len(sections) > 5
    assert len(set(sections)) == len(sections), sections


def test_third_party_sections_are_named_for_what_they_hold(staff_client):  # noqa: F811
    sections = _admin_index(staff_client, "en").sections
    for name in ("Email addresses", "Two-factor authentication", "Background tasks", "Users"):
        assert name in sections
    for english_only in ("Accounts", "MFA", "Tasks Database Backend"):
        assert english_only not in sections


def test_every_admin_section_and_model_is_named_in_french(staff_client):  # noqa: F811
    english = _admin_index(staff_client, "en")
    french = _admin_index(staff_client, "fr")
    assert len(french.sections) == len(english.sections)
    assert len(french.models) == len(english.models)
    untranslated = (set(english.sections) | set(english.models)) & (
        set(french.sections) | set(french.models)
    )
    assert untranslated - SAME_IN_FRENCH == set()


def test_two_factor_methods_are_labelled_in_the_readers_language(staff, staff_client):  # noqa: F811
    method = Authenticator.objects.create(
        user=staff, type=Authenticator.Type.RECOVERY_CODES, data={}
    )
    response = staff_client.get("/admin/mfa/authenticator/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("Method", "Added", "Last used", "By method", "By added", "By last used"):
        assert label in page
    for allauths in ("Created at", "By type", "By created at"):
        assert allauths not in page
    form = staff_client.get(f"/admin/mfa/authenticator/{method.pk}/change/")
    assert form.status_code == 200
    assert ">Method:</label>" in form.content.decode()
