import json

import pytest

from cheeseshop.index.negotiation import HTML_V1, JSON_V1
from cheeseshop.packaging.models import ProjectStatus
from tests.index.builders import make_file, make_project, make_release, publish
from tests.index.checkers import SimpleHTML, pep691_detail_problems, pep691_index_problems

pytestmark = pytest.mark.django_db

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


def vary(response) -> list[str]:
    # LocaleMiddleware adds Accept-Language to whatever the view sets.
    return [field.strip() for field in response.get("Vary", "").split(",")]


@pytest.fixture
def project():
    project = make_project("Sample_Project", last_serial=3)
    make_file(make_release(project, "1.0"))
    publish(project)  # serial 4
    return project


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (PIP_ACCEPT, JSON_V1),
        (JSON_V1, JSON_V1),
        ("application/vnd.pypi.simple.latest+json", JSON_V1),
        (HTML_V1, HTML_V1),
        ("application/vnd.pypi.simple.latest+html", HTML_V1),
        ("text/html", "text/html; charset=utf-8"),
        ("*/*", "text/html; charset=utf-8"),
        ("application/x-unknown", "text/html; charset=utf-8"),
    ],
)
def test_detail_is_served_in_the_negotiated_format(client, project, accept, content_type):
    response = client.get("/simple/sample-project/", headers={"accept": accept})

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    if content_type == JSON_V1:
        assert pep691_detail_problems(json.loads(response.content)) == []
    else:
        html = SimpleHTML(response.content.decode())
        assert [a["text"] for a in html.anchors] == ["sample_project-1.0-py3-none-any.whl"]


def test_detail_without_accept_header_is_html(client, project):
    response = client.get("/simple/sample-project/")

    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_detail_serves_the_stored_bytes(client, project):
    page = project.simple_page

    html = client.get("/simple/sample-project/", headers={"accept": "text/html"})
    data = client.get("/simple/sample-project/", headers={"accept": JSON_V1})

    assert html.content == bytes(page.html)
    assert data.content == bytes(page.json)


def test_detail_headers(client, project, settings):
    settings.CHEESESHOP_SIMPLE_MAX_AGE = 123
    page = project.simple_page

    response = client.get("/simple/sample-project/", headers={"accept": JSON_V1})

    assert response["ETag"] == f'"{page.json_etag}"'
    assert response["Cache-Control"] == "public, max-age=123"
    assert "Accept" in vary(response)
    assert response["X-PyPI-Last-Serial"] == "4"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert int(response["Content-Length"]) == len(response.content)


def test_etag_differs_per_format(client, project):
    html = client.get("/simple/sample-project/", headers={"accept": "text/html"})
    data = client.get("/simple/sample-project/", headers={"accept": JSON_V1})

    assert html["ETag"] != data["ETag"]


def test_matching_if_none_match_gives_304_without_body(client, project):
    etag = client.get("/simple/sample-project/", headers={"accept": JSON_V1})["ETag"]

    response = client.get(
        "/simple/sample-project/", headers={"accept": JSON_V1, "if-none-match": etag}
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "Accept" in vary(response)


def test_etag_of_the_other_format_does_not_give_304(client, project):
    html_etag = client.get("/simple/sample-project/", headers={"accept": "text/html"})["ETag"]

    response = client.get(
        "/simple/sample-project/", headers={"accept": JSON_V1, "if-none-match": html_etag}
    )

    assert response.status_code == 200


def test_new_upload_changes_the_etag_and_serial(client, project):
    before = client.get("/simple/sample-project/", headers={"accept": JSON_V1})
    make_file(make_release(project, "2.0"))
    publish(project)

    after = client.get(
        "/simple/sample-project/", headers={"accept": JSON_V1, "if-none-match": before["ETag"]}
    )

    assert after.status_code == 200
    assert after["X-PyPI-Last-Serial"] == "5"
    assert json.loads(after.content)["versions"] == ["1.0", "2.0"]


def test_head_returns_headers_without_body(client, project):
    get = client.get("/simple/sample-project/", headers={"accept": JSON_V1})
    head = client.head("/simple/sample-project/", headers={"accept": JSON_V1})

    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]
    assert head["Content-Length"] == get["Content-Length"]


@pytest.mark.parametrize("path", ["/simple/Sample_Project/", "/simple/sample.project/"])
def test_non_normalized_name_redirects_permanently(client, project, path):
    response = client.get(path)

    assert response.status_code == 301
    assert response["Location"] == "/simple/sample-project/"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_missing_trailing_slash_redirects(client, project):
    response = client.get("/simple/sample-project")

    assert response.status_code == 301
    assert response["Location"] == "/simple/sample-project/"


def test_unknown_project_is_404(client, project):
    response = client.get("/simple/no-such-project/")

    assert response.status_code == 404
    assert "no-such-project" in response.content.decode()


def test_project_never_rendered_is_404(client):
    make_project("unrendered")

    assert client.get("/simple/unrendered/").status_code == 404


def test_quarantined_project_is_404_even_before_its_pages_are_rerendered(client, project):
    type(project).objects.filter(pk=project.pk).update(status=ProjectStatus.QUARANTINED)

    assert client.get("/simple/sample-project/").status_code == 404
    assert client.get("/simple/sample-project/", headers={"accept": JSON_V1}).status_code == 404


def test_detail_refuses_unsafe_methods(client, project):
    assert client.post("/simple/sample-project/").status_code == 405


def test_detail_does_not_touch_the_session(client, project):
    response = client.get("/simple/sample-project/")

    assert "sessionid" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_index_lists_shown_projects_in_html(client, project):
    make_file(make_release(make_project("Other.Thing", last_serial=9), "1.0"))
    publish(type(project).objects.get(name="Other.Thing"))
    hidden = make_project("hidden", status=ProjectStatus.QUARANTINED)
    publish(hidden)

    response = client.get("/simple/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = SimpleHTML(response.content.decode())
    assert html.meta["pypi:repository-version"] == "1.4"
    assert [(a["text"], a["attrs"]["href"]) for a in html.anchors] == [
        ("Other.Thing", "other-thing/"),
        ("Sample_Project", "sample-project/"),
    ]
    assert response["X-PyPI-Last-Serial"] == "10"


def test_index_lists_shown_projects_in_json(client, project):
    response = client.get("/simple/", headers={"accept": PIP_ACCEPT})

    assert response["Content-Type"] == JSON_V1
    document = json.loads(response.content)
    assert pep691_index_problems(document) == []
    assert document["projects"] == [{"name": "Sample_Project", "_last-serial": 4}]
    assert document["meta"] == {"api-version": "1.4", "_last-serial": 4}


def test_index_supports_conditional_requests(client, project):
    first = client.get("/simple/")

    again = client.get("/simple/", headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert "Accept" in vary(again)


def test_index_escapes_names(client):
    # Names are validated on upload; the page must be safe even if one is not.
    project = make_project('bad"<name>')
    publish(project)

    body = client.get("/simple/").content.decode()

    assert "<name>" not in body
    assert SimpleHTML(body).anchors[0]["text"] == 'bad"<name>'


# -- 406: every representation refused


REFUSE_EVERYTHING = [
    "*/*;q=0",
    f"{JSON_V1};q=0, {HTML_V1};q=0, text/html;q=0",
    "text/html;q=0",
    "application/xml, */*;q=0",
    "*/*;q=0, text/html;q=abc",
]


@pytest.mark.parametrize("path", ["/simple/", "/simple/sample-project/", "/simple/no-such/"])
@pytest.mark.parametrize("accept", REFUSE_EVERYTHING)
def test_a_client_refusing_every_type_we_serve_gets_406(client, project, path, accept):
    response = client.get(path, headers={"accept": accept})

    assert response.status_code == 406
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Accept" in vary(response)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.content.decode() == (
        "This index serves none of the types your Accept header accepts; it serves "
        "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html, text/html."
    )


@pytest.mark.parametrize("path", ["/simple/", "/simple/sample-project/"])
@pytest.mark.parametrize("accept", ["application/xml", "text/html;q=abc", "text/html;q=-1"])
def test_unknown_types_and_malformed_q_values_get_the_html_page(client, project, path, accept):
    response = client.get(path, headers={"accept": accept})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
