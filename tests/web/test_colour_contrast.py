"""The site's colours meet WCAG 2.1 AA contrast: 4.5:1 for text, 3:1 for the edges of controls.

The pairs are the ones site.css puts together (text on its background, a control's border on
what surrounds it); the colours are read from site.css's custom properties, so changing one
is checked here.
"""

import re
from pathlib import Path

import pytest

SITE_CSS = Path(__file__).resolve().parents[2] / "src/cheeseshop/static/cheeseshop/site.css"
TEXT = 4.5
CONTROL_EDGE = 3.0

# (foreground, background, minimum ratio, where site.css pairs them)
PAIRS = [
    ("ink", "paper", TEXT, "body text"),
    ("ink", "wash", TEXT, "table headers, notices, footer"),
    ("muted", "paper", TEXT, "secondary text"),
    ("muted", "wash", TEXT, "secondary text in the footer and table headers"),
    ("accent", "paper", TEXT, "links, secondary buttons"),
    ("accent", "wash", TEXT, "links in the footer and notices"),
    ("accent-ink", "accent", TEXT, "buttons"),
    ("paper", "ink", TEXT, "header, skip link, install line"),
    ("paper", "danger", TEXT, "danger buttons"),
    ("danger", "paper", TEXT, "errors, yanked badges"),
    ("warning-ink", "warning-bg", TEXT, "warnings, yanked notice"),
    ("success-ink", "success-bg", TEXT, "success messages"),
    ("muted", "paper", TEXT, "placeholders"),
    ("field-border", "paper", CONTROL_EDGE, "edges of form fields"),
    ("paper", "ink", CONTROL_EDGE, "edge of the header's search button"),
    ("ink", "paper", CONTROL_EDGE, "the focus ring's outer edge"),
]


def custom_properties() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", SITE_CSS.read_text(), re.DOTALL).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("foreground", "background", "minimum", "where"), PAIRS)
def test_the_colours_site_css_pairs_are_distinct_enough(foreground, background, minimum, where):
    colours = custom_properties()
    ratio = contrast(colours[foreground], colours[background])
    assert ratio >= minimum, f"{where}: {foreground} on {background} is {ratio:.2f}:1"
