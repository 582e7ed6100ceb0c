import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from cheeseshop.accounts.services import create_user
from cheeseshop.packaging.models import ProjectStatus, Role, RoleName
from tests.index.builders import make_file, make_project, make_release
from tests.packaging.hostile_descriptions import HOSTILE_DESCRIPTIONS, nested_rst_list
from tests.web.pages import dangerous_markup, get_page, parse_page

pytestmark = pytest.mark.django_db

README = "Sample\n======\n\nA *sample* project.\n"


@pytest.fixture
def project():
    project = make_project("Sample_Project")
    stable = make_release(
        project,
        "1.0",
        summary="A sample project",
        description=README,
        license_expression="MIT",
        requires_python=">=3.9",
        author="Ann Author",
        author_email="ann@example.com",
        maintainer="Max",
        keywords="cheese,shop",
        home_page="https://home.example",
        download_url="javascript:alert(1)",
        project_urls={"Source": "https://src.example", "Evil": "javascript:alert(2)"},
        classifiers=[
            "License :: OSI Approved :: MIT License",
            "Programming Language :: Python :: 3",
            "Programming Language :: Python :: 3.12",
        ],
    )
    make_file(stable, content=b"x" * 2048)
    make_file(stable, "sample_project-1.0.tar.gz", content=b"y" * 3 * 1024 * 1024)
    make_file(make_release(project, "2.0rc1", summary="Next"))
    make_file(make_release(project, "3.0", yanked=True, yanked_reason="Broke <everything>"))
    owner = create_user("olive", "olive@example.com")
    helper = create_user("hank", "hank@example.com")
    Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    Role.objects.create(user=helper, project=project, role_name=RoleName.MAINTAINER)
    return project


def h1_text(html: str) -> str:
    start = html.index("<h1")
    return " ".join(html[html.index(">", start) + 1 : html.index("</h1>")].split())


def section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def test_project_page_shows_the_latest_stable_release(client, project):
    html = get_page(client, "/project/sample-project/")

    assert h1_text(html) == 'Sample_Project <span class="mono">1.0</span>'
    assert "A sample project" in html
    assert "pip install Sample_Project</code>" in html
    assert "<em>sample</em>" in section(html, "description")
    assert "latest version" in html


def test_project_page_redirects_a_non_normalized_name(client, project):
    response = client.get("/project/Sample_Project/")
    assert response.status_code == 301
    assert response["Location"] == "/project/sample-project/"


def test_project_page_sidebar_shows_the_metadata(client, project):
    html = get_page(client, "/project/sample-project/")

    for text in ["MIT", "&gt;=3.9", "Ann Author", "mailto:ann@example.com", "Max"]:
        assert text in html
    assert "<li>cheese</li>" in html
    assert "<li>shop</li>" in html


def test_project_links_are_nofollow_and_only_web_urls(client, project):
    html = get_page(client, "/project/sample-project/")
    page = parse_page(html)

    external = [link for link in page.links if (link.get("href") or "").startswith("http")]
    assert [link["href"] for link in external] == ["https://home.example", "https://src.example"]
    assert all(link["rel"] == "nofollow noopener" for link in external)
    assert "javascript:" not in html


def test_classifiers_are_grouped_by_their_first_part(client, project):
    html = get_page(client, "/project/sample-project/")

    assert '<h3 class="classifier-group">License</h3>' in html
    language = html.index('<h3 class="classifier-group">Programming Language</h3>')
    assert html.index("<li>Python :: 3</li>") > language
    assert html.index("<li>Python :: 3.12</li>") > language


def test_maintainers_link_to_their_user_pages_owners_first(client, project):
    html = get_page(client, "/project/sample-project/")

    assert '<a href="/user/olive/">olive</a>' in html
    assert '<a href="/user/hank/">hank</a>' in html
    assert html.index("/user/olive/") < html.index("/user/hank/")
    assert "(Owner)" in html
    assert "(Maintainer)" in html


def test_release_history_lists_every_version_newest_first_with_text_marks(client, project):
    html = get_page(client, "/project/sample-project/")
    history = section(html, "history")

    positions = [history.index(f'/project/sample-project/{v}/"') for v in ["3.0", "2.0rc1", "1.0"]]
    assert positions == sorted(positions)
    assert history.count(">yanked</span>") == 1
    assert history.count(">pre-release</span>") == 1
    assert "Yanked: Broke &lt;everything&gt;" in history
    assert 'aria-current="page">1.0</a>' in history


def test_files_show_humanized_sizes_hashes_type_and_download_links(client, project):
    html = get_page(client, "/project/sample-project/")
    files = section(html, "files")
    wheel = project.releases.get(version="1.0").files.get(filename__endswith=".whl")

    assert "2.0\xa0KB" in files
    assert "3.0\xa0MB" in files
    assert wheel.sha256_digest in files
    assert wheel.blake2_256_digest in files
    assert "Wheel" in files
    assert "Source distribution" in files
    assert f'href="/packages/{wheel.path}"' in files
    assert "sample_project-2.0rc1" not in files


def test_download_links_use_the_files_url_when_one_is_set(client, project):
    with override_settings(CHEESESHOP_FILES_URL="https://files.example/"):
        html = get_page(client, "/project/sample-project/")
    wheel = project.releases.get(version="1.0").files.get(filename__endswith=".whl")
    assert f'href="https://files.example/{wheel.path}"' in html


def test_release_page_shows_the_version_asked_for_with_a_pinned_install_line(client, project):
    html = get_page(client, "/project/sample-project/2.0rc1/")

    assert h1_text(html) == 'Sample_Project <span class="mono">2.0rc1</span>'
    assert "pip install Sample_Project==2.0rc1</code>" in html
    assert ">pre-release</span>" in html
    assert 'href="/project/sample-project/1.0/">Go to the latest version, 1.0</a>' in html


def test_yanked_release_page_has_a_banner_with_the_reason(client, project):
    html = get_page(client, "/project/sample-project/3.0/")

    assert "This release has been yanked." in html
    assert "Reason given: Broke &lt;everything&gt;" in html


def test_yanked_release_without_reason_says_so(client, project):
    project.releases.filter(version="3.0").update(yanked_reason="")
    html = get_page(client, "/project/sample-project/3.0/")

    assert "This release has been yanked." in html
    assert "No reason was given." in html


def test_a_project_whose_releases_are_all_yanked_shows_the_newest_one(client):
    project = make_project("gone")
    make_release(project, "1.0", yanked=True)
    make_release(project, "1.1", yanked=True)
    html = get_page(client, "/project/gone/")

    assert h1_text(html) == 'gone <span class="mono">1.1</span>'
    assert "This release has been yanked." in html


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/project/sample-project/1.0.0/", "/project/sample-project/1.0/"),
        ("/project/sample-project/1.0.0.0/", "/project/sample-project/1.0/"),
        ("/project/sample-project/2.0.0RC1/", "/project/sample-project/2.0rc1/"),
        ("/project/Sample.Project/1.0/", "/project/sample-project/1.0/"),
    ],
)
def test_release_page_redirects_other_spellings_to_the_releases_own(
    client, project, path, location
):
    response = client.get(path)
    assert response.status_code == 301
    assert response["Location"] == location


@pytest.mark.parametrize(
    "path",
    [
        "/project/no-such-project/",
        "/project/no-such-project/1.0/",
        "/project/sample-project/9.9/",
        "/project/sample-project/not%20a%20version/",
    ],
)
def test_unknown_projects_and_versions_are_404(client, project, path):
    html = get_page(client, path, status=404)
    assert "Page not found" in html


def test_a_project_without_releases_is_404(client):
    make_project("empty")
    html = get_page(client, "/project/empty/", status=404)
    assert "has no releases" in html


@pytest.mark.parametrize("path", ["/project/sample-project/", "/project/sample-project/1.0/"])
def test_quarantined_projects_are_404(client, project, path):
    project.status = ProjectStatus.QUARANTINED
    project.save()
    get_page(client, path, status=404)


def test_project_page_refuses_post(client, project):
    assert client.post("/project/sample-project/").status_code == 405


def test_a_release_without_description_or_files_says_so(client):
    make_release(make_project("bare"), "0.1")
    html = get_page(client, "/project/bare/")

    assert "has not provided a project description" in html
    assert "This release has no files." in html


@pytest.mark.parametrize(
    ("description", "content_type"),
    [
        ("Hi <script>alert(1)</script> <img src=x onerror=alert(1)>", "text/markdown"),
        ("[x](javascript:alert(1))", "text/markdown"),
        ("Hi\n\n.. raw:: html\n\n   <script>alert(1)</script>\n", ""),
        ("`x <javascript:alert(1)>`_", "text/x-rst"),
        ("<script>alert(1)</script>", "text/plain"),
    ],
)
def test_readme_attacks_never_reach_the_page(client, description, content_type):
    release = make_release(
        make_project("evil"), description=description, description_content_type=content_type
    )
    make_file(release)
    html = get_page(client, "/project/evil/")

    assert dangerous_markup(section(html, "description")) == []
    assert parse_page(html).scripts_inline == 0


@pytest.mark.parametrize(("description", "content_type"), HOSTILE_DESCRIPTIONS)
def test_a_description_built_to_break_the_renderer_still_gives_a_page(
    client, description, content_type
):
    release = make_release(
        make_project("hostile"), description=description, description_content_type=content_type
    )
    make_file(release)
    html = get_page(client, "/project/hostile/")
    assert '<div class="readme">' in section(html, "description")


def test_restructuredtext_nested_deeper_than_the_stack_is_shown_as_plain_text(client):
    make_file(make_release(make_project("deep"), description=nested_rst_list()))
    html = get_page(client, "/project/deep/")
    assert "- item<br>" in section(html, "description")


def test_project_page_queries_do_not_grow_with_the_number_of_releases(client):
    def queries_for(name: str, releases: int) -> int:
        project = make_project(name)
        for number in range(releases):
            make_file(make_release(project, f"1.{number}", description="x" * 1000))
        client.get(f"/project/{name}/")  # warm the README cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/project/{name}/").status_code == 200
        return len(captured)

    assert queries_for("few", 2) == queries_for("many", 30)
