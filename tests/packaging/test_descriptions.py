import ast
import os
import subprocess
import sys

import pytest

from cheeseshop.packaging import descriptions
from cheeseshop.packaging.descriptions import (
    parse_content_type,
    render_as_plain_text,
    render_in_format,
)
from tests.packaging.hostile_descriptions import (
    HOSTILE_DESCRIPTIONS,
    nested_rst_list,
    rst_grid_table,
)
from tests.web.pages import dangerous_markup


def render_description(description: str, content_type: str) -> str:
    """What the release page shows for this description."""
    return descriptions.render_description(description, content_type).html


def assert_neutralized(html: str) -> None:
    assert dangerous_markup(html) == [], html


@pytest.mark.parametrize(("description", "content_type"), HOSTILE_DESCRIPTIONS)
def test_a_description_built_to_break_the_renderer_renders_or_gives_none(
    description, content_type
):
    rendered = render_in_format(description, content_type)
    assert rendered is None or isinstance(rendered, str)


def test_nesting_deeper_than_the_stack_does_not_render():
    assert render_in_format(nested_rst_list(), "text/x-rst") is None


def test_a_renderer_that_crashes_is_a_description_that_does_not_render(monkeypatch):
    def crash(*args, **kwargs):
        raise ValueError("a bug in a renderer")

    monkeypatch.setattr("readme_renderer.markdown.render", crash)
    assert render_in_format("text", "text/markdown") is None


# The budget (F9): rendered once, at upload, in a child process given a time budget -----------


def test_a_description_rendered_within_the_budget_is_stored_as_html():
    rendered = descriptions.render_description("Some *emphasis*.", "")
    assert rendered.renders
    assert rendered.html == "<p>Some <em>emphasis</em>.</p>\n"


def test_a_description_slower_than_the_budget_is_shown_as_plain_text(settings):
    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 0.05
    table = rst_grid_table(rows=400)
    rendered = descriptions.render_description(table, "text/x-rst")
    assert rendered.renders
    assert "<table" not in rendered.html
    assert rendered.html.startswith("+---+")


def test_a_renderer_that_overran_is_replaced_and_the_next_description_renders(settings):
    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 0.05
    descriptions.render_description(rst_grid_table(rows=400), "text/x-rst")
    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 30
    assert descriptions.render_description("Some *emphasis*.", "").html.startswith("<p>Some")


def test_descriptions_are_rendered_by_one_long_lived_process():
    descriptions.render_description("One.", "")
    first = descriptions._renderer.pid
    descriptions.render_description("Two.", "")
    assert descriptions._renderer.pid == first


def test_a_description_larger_than_the_render_limit_is_shown_as_plain_text(settings):
    settings.CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE = 100
    rendered = descriptions.render_description("Some *emphasis*." * 10, "")
    assert rendered.renders
    assert rendered.html.startswith("Some *emphasis*.")


def test_html_much_larger_than_the_render_limit_is_shown_as_plain_text(settings):
    settings.CHEESESHOP_DESCRIPTION_RENDER_MAX_SIZE = 1000
    quotes = ">" * 500 + " deep\n"  # each ">" opens a <blockquote>
    rendered = descriptions.render_description(quotes, "text/markdown")
    assert "<blockquote>" not in rendered.html
    assert "&gt;&gt;&gt;" in rendered.html


def test_nesting_deeper_than_the_stack_does_not_render_in_the_child_either():
    rendered = descriptions.render_description(nested_rst_list(), "text/x-rst")
    assert not rendered.renders


def test_plain_text_fallback_is_escaped_and_keeps_its_lines():
    assert render_as_plain_text("a <b>\nc") == "a &lt;b&gt;<br>c"


# What the release page shows -----------------------------------------------------------------


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


def test_a_fenced_blocks_code_language_is_a_class_not_a_human_language():
    html = render_description("```python\nx = 1\n```\n", "text/markdown")
    assert '<pre class="language-python">' in html
    assert " lang=" not in html


def test_a_code_language_that_is_not_a_plain_name_is_dropped():
    html = descriptions.code_language_as_class('<pre lang="a b&quot;c">x</pre>')
    assert html == "<pre>x</pre>"


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


# Everything under the main guard: the fork server's children import the main module.
RENDER_FROM_A_THREAD_THAT_BLOCKS_SIGNALS = """
import signal
import threading
import time


def upload_thread(results):
    from cheeseshop.packaging.descriptions import render_description

    # As uWSGI's request threads do: every signal blocked, inherited by what they start.
    blocked = set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP}
    signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    render_description("Started.", "")  # the fork server starts, seconds on a busy machine
    started = time.monotonic()
    for _ in range(2):
        results.append(render_description("Some *emphasis*.", "").html)
    results.append(time.monotonic() - started)


if __name__ == "__main__":
    import django

    django.setup()
    results = []
    thread = threading.Thread(target=upload_thread, args=(results,))
    thread.start()
    thread.join()
    print(results)
"""


def test_rendering_from_a_server_thread_that_blocks_signals_does_not_hang(tmp_path):
    script = tmp_path / "render.py"
    script.write_text(RENDER_FROM_A_THREAD_THAT_BLOCKS_SIGNALS)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    finished = subprocess.run(
        [sys.executable, str(script)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    *rendered, seconds = ast.literal_eval(finished.stdout)
    assert rendered == ["<p>Some <em>emphasis</em>.</p>\n"] * 2
    # The fork server reports each child's end: no wait for one that never comes.
    assert seconds < 4
