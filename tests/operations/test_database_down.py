"""While the database is down, requests answer a short 503, those the fast path answers too."""

from cheeseshop.wsgi import application
from tests.operations.wsgi import call


def test_a_simple_page_while_the_database_is_down_answers_503(database_down):
    status, headers, body = call(application, "/simple/anything/")
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert b"database cannot be reached" in body


def test_health_still_answers_while_the_database_is_down(database_down):
    assert call(application, "/_/health")[0] == 200
