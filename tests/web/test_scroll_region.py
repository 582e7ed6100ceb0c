"""Wide tables scroll inside a focusable, labelled region of their own, never the page."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError

SOURCE = Path(__file__).resolve().parents[2] / "src" / "cheeseshop"
# Django admin pages and allauth's unused generic table element keep their own layout.
NOT_OURS = ("admin/", "allauth/elements/table.html")


def test_the_region_is_focusable_and_labelled_by_the_given_element():
    template = Template(
        "{% load scroll_region %}"
        '{% scroll_region "files-caption" %}<table></table>{% endscroll_region %}'
    )
    assert template.render(Context()) == (
        '<div class="table-scroll" role="region" aria-labelledby="files-caption" tabindex="0">'
        "<table></table></div>"
    )


def test_the_label_id_can_come_from_the_context():
    template = Template("{% load scroll_region %}{% scroll_region label %}x{% endscroll_region %}")
    assert 'aria-labelledby="a&quot;b"' in template.render(Context({"label": 'a"b'}))


def test_the_region_needs_the_id_of_its_label():
    with pytest.raises(TemplateSyntaxError, match="id of the element"):
        Template("{% load scroll_region %}{% scroll_region %}x{% endscroll_region %}")


def our_templates_with_tables() -> list:
    found = []
    for path in sorted(SOURCE.rglob("templates/**/*.html")):
        relative = path.as_posix().split("/templates/", 1)[1]
        if relative.startswith(NOT_OURS) or "<table" not in path.read_text():
            continue
        found.append(pytest.param(path, id=relative))
    return found


@pytest.mark.parametrize("path", our_templates_with_tables())
def test_every_table_of_ours_is_inside_a_scroll_region(path):
    text = path.read_text()
    tables = len(re.findall(r"<table[\s>]", text))
    regions = re.findall(
        r'{% scroll_region "([\w-]+)" %}\s*<table[^>]*>\s*<caption id="([\w-]+)"', text
    )
    assert len(regions) == tables
    assert all(label == caption for label, caption in regions)
