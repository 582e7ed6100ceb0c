"""Descriptions built to break or stall a renderer: deep nesting, big tables, many footnotes.

Small enough to keep the tests fast; deep enough to exhaust docutils' recursion (it recurses
once per nesting level) and Markdown's block and inline parsers.
"""

import pytest

NESTING = 400


def nested_rst_list(depth: int = NESTING) -> str:
    return "\n\n".join("  " * level + "- item" for level in range(depth)) + "\n"


def nested_rst_block_quote(depth: int = NESTING) -> str:
    return "\n\n".join("    " * level + "quoted" for level in range(depth)) + "\n"


def nested_markdown_list(depth: int = NESTING) -> str:
    return "\n".join("  " * level + "- item" for level in range(depth)) + "\n"


def nested_markdown_block_quote(depth: int = 5 * NESTING) -> str:
    return ">" * depth + " deep\n"


def nested_markdown_links(depth: int = 5 * NESTING) -> str:
    return "[" * depth + "x" + "](y)" * depth + "\n"


def rst_grid_table(rows: int = 100, columns: int = 20) -> str:
    separator = "+" + "---+" * columns
    row = "|" + " a |" * columns
    return "\n".join([separator] + [row, separator] * rows) + "\n"


def markdown_table(rows: int = 2000, columns: int = 20) -> str:
    header = "|" + " a |" * columns
    rule = "|" + "---|" * columns
    return "\n".join([header, rule] + [header] * rows) + "\n"


def rst_footnotes(count: int = 300) -> str:
    references = "".join(f"Text [#]_ and [{i}]_.\n\n" for i in range(count))
    notes = "".join(f".. [#] auto {i}\n.. [{i}] numbered {i}\n" for i in range(count))
    return references + notes


def markdown_footnotes(count: int = 2000) -> str:
    references = "".join(f"Text[^{i}].\n\n" for i in range(count))
    return references + "".join(f"[^{i}]: note {i}\n" for i in range(count))


HOSTILE_DESCRIPTIONS = [
    pytest.param(nested_rst_list(), "text/x-rst", id="rst-nested-lists"),
    pytest.param(nested_rst_block_quote(), "text/x-rst", id="rst-nested-block-quotes"),
    pytest.param(nested_rst_list(), "", id="default-format-nested-lists"),
    pytest.param(rst_grid_table(), "text/x-rst", id="rst-big-table"),
    pytest.param(rst_footnotes(), "text/x-rst", id="rst-many-footnotes"),
    pytest.param(nested_markdown_list(), "text/markdown", id="markdown-nested-lists"),
    pytest.param(nested_markdown_block_quote(), "text/markdown", id="markdown-nested-quotes"),
    pytest.param(nested_markdown_links(), "text/markdown", id="markdown-nested-links"),
    pytest.param(markdown_table(), "text/markdown", id="markdown-big-table"),
    pytest.param(markdown_footnotes(), "text/markdown", id="markdown-many-footnotes"),
]
