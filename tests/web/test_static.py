"""What pages link to is served: stylesheets and scripts, from the installed package."""

import re

import pytest

from tests.index.builders import make_file, make_project, make_release, publish

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/account/login/", "/project/served/", "/search/?q=x"])
def test_every_linked_stylesheet_and_script_is_served(client, path):
    project = make_project("served")
    make_file(make_release(project, "1.0"))
    publish(project)
    page = client.get(path)
    assert page.status_code == 200
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.content.decode())
    assert any(a.endswith("site.css") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        expected = "text/css" if asset.endswith(".css") else "javascript"
        assert expected in response["Content-Type"], asset
