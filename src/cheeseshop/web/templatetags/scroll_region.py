"""``{% scroll_region "caption-id" %}…{% endscroll_region %}``: the one wrapper for wide tables.

At 320 px a table wider than the screen must scroll inside its own box, not widen the page
(WCAG 1.4.10). A box that scrolls must be reachable by keyboard and named for screen readers
(axe's scrollable-region-focusable), so the wrapper is a focusable region labelled by the
element whose id it is given: the table's caption or the section's heading.
"""

from django import template
from django.utils.html import format_html

register = template.Library()


class ScrollRegionNode(template.Node):
    def __init__(self, labelled_by: template.base.FilterExpression, nodelist: template.NodeList):
        self.labelled_by = labelled_by
        self.nodelist = nodelist

    def render(self, context) -> str:
        return format_html(
            '<div class="table-scroll" role="region" aria-labelledby="{}" tabindex="0">{}</div>',
            self.labelled_by.resolve(context),
            self.nodelist.render(context),
        )


@register.tag
def scroll_region(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes one argument: the id of the element that labels the region"
        )
    nodelist = parser.parse(("endscroll_region",))
    parser.delete_first_token()
    return ScrollRegionNode(parser.compile_filter(bits[1]), nodelist)
