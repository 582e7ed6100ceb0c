"""A form that was not accepted says so on load: "Error:" before the page's title, and a
summary at the top of the form (role="alert") whose every line links to its field."""

import re

import pytest
from django import forms
from django.template import Context, Template
from django.test import Client

from tests.accounts.conftest import STRONG_PASSWORD, alice, alice_client  # noqa: F401
from tests.manage.conftest import maintainer, owner, owner_client, project  # noqa: F401
from tests.upload.conftest import packages_dir  # noqa: F401 - autouse: per-test file storage
from tests.web.pages import page_title, structure_problems

pytestmark = pytest.mark.django_db


class NameForm(forms.Form):
    name = forms.CharField(label="Name")


def failed(template: str, **context) -> str:
    return Template("{% load form_errors %}" + template).render(Context(context))


def test_a_bound_form_with_errors_is_a_failed_form_on_the_page():
    tag = "{% failed_form_on_page as failed %}{{ failed }}"
    assert failed(tag, some_form=NameForm({})) == "True"
    assert failed(tag, some_form=NameForm({"name": "x"})) == "False"
    assert failed(tag, some_form=NameForm()) == "False"
    assert failed(tag) == "False"


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', html, re.DOTALL)
    assert match, "no error summary"
    return match.group(1)


def assert_announced(response, field_ids: list[str]) -> str:
    html = response.content.decode()
    assert page_title(html).startswith("Error: ")
    summary = error_summary(html)
    linked = re.findall(r'<a href="#([\w-]+)">', summary)
    assert list(dict.fromkeys(linked)) == field_ids  # one line per error, several per field
    for field_id in field_ids:
        assert re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"', html)
    assert structure_problems(html) == []
    return summary


def test_a_failed_signup_is_announced():
    response = Client().post(
        "/account/signup/",
        {"username": "", "email": "not-an-address", "password1": "x", "password2": "x"},
    )
    summary = assert_announced(response, ["id_email", "id_username", "id_password1"])
    assert "Email: Enter a valid email address." in summary


def test_a_failed_login_is_announced(alice):  # noqa: F811
    response = Client().post("/account/login/", {"login": "alice", "password": "wrong"})
    assert_announced(response, [])
    assert "not correct" in error_summary(response.content.decode())


def test_a_page_whose_form_was_accepted_or_not_sent_has_no_error_title(alice_client):  # noqa: F811
    html = alice_client.get("/account/password/change/").content.decode()
    assert not page_title(html).startswith("Error")
    assert "error-summary" not in html


def test_a_failed_password_change_is_announced(alice_client):  # noqa: F811
    response = alice_client.post(
        "/account/password/change/",
        {"oldpassword": "wrong", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )
    assert_announced(response, ["id_oldpassword"])


def test_a_failed_token_creation_is_announced(owner_client):  # noqa: F811
    response = owner_client.post("/manage/account/tokens/new/", {"scope": "account"})
    summary = assert_announced(response, ["id_description"])
    assert "The token was not created:" in summary


def test_a_failed_invitation_is_announced(owner_client, project):  # noqa: F811
    response = owner_client.post(
        "/manage/project/cheese-tools/collaboration/invite/",
        {"username": "nobody-by-this-name", "role_name": "Maintainer"},
    )
    assert response.status_code == 400
    assert_announced(response, ["id_username"])


def test_a_failed_file_deletion_is_announced(owner_client, project):  # noqa: F811
    wheel = project.releases.get().files.get(packagetype="bdist_wheel")
    response = owner_client.post(
        f"/manage/project/cheese-tools/release/1.0/files/{wheel.pk}/delete/",
        {"confirm_filename": "not-the-name"},
    )
    assert response.status_code == 400
    assert page_title(response.content.decode()).startswith("Error: ")
