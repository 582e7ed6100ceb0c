import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from tests.web.pages import structure_problems

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_the_friendly_404(client):
    response = client.get("/no/such/page/")
    html = response.content.decode()

    assert response.status_code == 404
    assert structure_problems(html) == []
    assert "<h1>Page not found</h1>" in html
    assert "There is nothing at this address." in html
    assert "Resolver404" not in html


def test_a_404_raised_with_a_reason_shows_it(client):
    html = client.get("/project/nothing-here/").content.decode()
    assert "No project named “nothing-here” is on this index." in html


def test_the_500_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()

    assert response.status_code == 500
    assert structure_problems(html) == []
    assert "Something went wrong on our side" in html
