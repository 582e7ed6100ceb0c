import pytest

from cheeseshop.packaging.descriptions import render_as_plain_text, render_in_format
from tests.packaging.hostile_descriptions import HOSTILE_DESCRIPTIONS, nested_rst_list


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


def test_plain_text_fallback_is_escaped_and_keeps_its_lines():
    assert render_as_plain_text("a <b>\nc") == "a &lt;b&gt;<br>c"
