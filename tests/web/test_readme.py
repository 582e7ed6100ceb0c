import pytest

from cheeseshop.web import readme
from cheeseshop.web.readme import parse_content_type, release_readme_html, render_description
from tests.index.builders import make_project, make_release
from tests.web.pages import dangerous_markup


def assert_neutralized(html: str) -> None:
    assert dangerous_markup(html) == [], html


def test_restructuredtext_is_the_default_format():
    html = render_description("Some *emphasis*.", "")
    assert "<em>emphasis</em>" in html


def test_markdown_is_rendered_for_its_content_type():
    html = render_description("Some **strong** text.", "text/markdown")
    assert "<strong>strong</strong>" in html


def test_commonmark_variant_is_honoured_and_unknown_variants_fall_back_to_gfm():
    table = "| a |\n|---|\n| b |\n"
    assert "<table>" not in render_description(table, "text/markdown; variant=CommonMark")
    assert "<table>" in render_description(table, "text/markdown; variant=Nonsense")


def test_plain_text_is_escaped_and_keeps_its_lines():
    html = render_description("a <b>\nc", "text/plain")
    assert html == "a &lt;b&gt;<br>c"


def test_content_type_parameters_are_parsed():
    assert parse_content_type("text/Markdown; charset=UTF-8; variant=GFM") == (
        "text/markdown",
        {"charset": "UTF-8", "variant": "GFM"},
    )
    assert parse_content_type("") == ("text/x-rst", {})


def test_an_empty_description_renders_nothing():
    assert render_description("  \n", "text/markdown") == ""


def test_invalid_restructuredtext_is_shown_as_escaped_plain_text():
    html = render_description("`unclosed <javascript:alert(1)>`_ and *bad", "text/x-rst")
    assert "&lt;javascript:alert(1)&gt;" in html
    assert "<a" not in html


def test_headings_sit_below_the_pages_own_sections():
    html = render_description("# Title\n\n## Sub\n\n###### Deep\n", "text/markdown")
    assert "<h1" not in html
    assert "<h2" not in html
    assert "<h3" in html
    assert "<h4" in html
    assert "<h6" in html
    assert "</h3>" in html


def test_heading_like_text_is_not_rewritten():
    html = render_description("Write `<h1>` for a title.", "text/markdown")
    assert "&lt;h1&gt;" in html


@pytest.mark.parametrize(
    "description",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "<img src=x onerror=alert(1)>",
        '<a href="https://example.com" onclick="alert(1)">x</a>',
        "<svg onload=alert(1)></svg>",
        '<iframe src="https://evil.example"></iframe>',
        "<div onmouseover='alert(1)'>x</div>",
    ],
)
def test_markdown_attacks_are_neutralized(description):
    assert_neutralized(render_description(description, "text/markdown"))


@pytest.mark.parametrize(
    "description",
    [
        "Hello\n\n.. raw:: html\n\n   <script>alert(1)</script>\n",
        "Hello\n\n.. raw:: html\n\n   <img src=x onerror=alert(1)>\n",
        "`click <javascript:alert(1)>`_\n",
        ".. image:: x.png\n   :target: javascript:alert(1)\n",
        "Text <script>alert(1)</script>\n",
    ],
)
def test_restructuredtext_attacks_are_neutralized(description):
    assert_neutralized(render_description(description, "text/x-rst"))


def test_the_danger_check_finds_live_markup_and_ignores_escaped_text():
    assert dangerous_markup('<img src=x onerror="a()"><a href=" JavaScript:a()">x</a>') == [
        "onerror= on <img>",
        "href=' JavaScript:a()' on <a>",
    ]
    assert dangerous_markup("&lt;script&gt; onerror=x javascript:y") == []


def test_plain_text_attacks_are_neutralized():
    assert_neutralized(render_description("<script>alert(1)</script>", "text/plain"))


@pytest.mark.django_db
def test_the_rendered_readme_is_cached_per_release_and_description(monkeypatch):
    release = make_release(
        make_project("cached"), description="# One", description_content_type="text/markdown"
    )
    calls = []
    real_render = readme.render_description

    def counting_render(description, content_type):
        calls.append(description)
        return real_render(description, content_type)

    monkeypatch.setattr(readme, "render_description", counting_render)

    first = release_readme_html(release)
    second = release_readme_html(release)
    assert first == second
    assert "One" in first
    assert calls == ["# One"]

    release.description = "# Two"
    changed = release_readme_html(release)
    assert "Two" in changed
    assert calls == ["# One", "# Two"]
