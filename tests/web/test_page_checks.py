"""The structure checks used on every page catch what they claim to."""

from tests.web.pages import page_title, structure_problems, title_problems

GOOD_PAGE = """<!DOCTYPE html><html lang="en"><body>
<a class="skip-link" href="#content">Skip</a>
<main id="content"><h1>Title</h1>
<form><label for="q">Search</label><input id="q" name="q">
<label>Wrapped <select name="s"></select></label>
<input type="hidden" name="csrf"><button type="submit">Go</button></form></main>
</body></html>"""


def test_a_well_formed_page_has_no_problems():
    assert structure_problems(GOOD_PAGE) == []


def test_a_page_without_lang_is_reported():
    problems = structure_problems(GOOD_PAGE.replace(' lang="en"', ""))
    assert problems == ["<html> has no lang attribute"]


def test_a_second_h1_is_reported():
    problems = structure_problems(GOOD_PAGE.replace("</main>", "<h1>Again</h1></main>"))
    assert problems == ["2 h1 elements, not exactly one"]


def test_a_page_without_h1_is_reported():
    problems = structure_problems(GOOD_PAGE.replace("<h1>Title</h1>", ""))
    assert problems == ["0 h1 elements, not exactly one"]


def test_an_input_without_label_is_reported():
    problems = structure_problems(GOOD_PAGE.replace('<label for="q">Search</label>', ""))
    assert len(problems) == 1
    assert problems[0].startswith("unlabelled input")


def test_an_aria_label_counts_as_a_label():
    page = GOOD_PAGE.replace('<label for="q">Search</label><input id="q"', '<input aria-label="x"')
    assert structure_problems(page) == []


def test_a_skip_link_to_a_missing_target_is_reported():
    problems = structure_problems(GOOD_PAGE.replace('id="content"', 'id="main"'))
    assert problems == ["skip link target '#content' does not exist"]


def test_inline_scripts_and_styles_are_reported():
    page = GOOD_PAGE.replace("</main>", '<script>x()</script><p style="color:red">x</p></main>')
    assert structure_problems(page) == [
        "inline <script> (the CSP forbids it)",
        "style attribute (the CSP forbids inline styles)",
    ]


def test_duplicate_ids_are_reported():
    page = GOOD_PAGE.replace("<h1>Title</h1>", '<h1 id="q">Title</h1>')
    assert structure_problems(page) == ["duplicate ids: ['q']"]


def test_two_unnamed_search_landmarks_are_reported():
    search = '<form role="search"><label for="s">S</label><input id="s"></form>'
    page = GOOD_PAGE.replace("</main>", search + search.replace('"s"', '"t"') + "</main>")
    assert structure_problems(page) == ["2 search landmarks without a distinct name each"]


def test_two_navigation_landmarks_with_their_own_names_are_fine():
    page = GOOD_PAGE.replace(
        "</main>", '<nav aria-label="Site"></nav><nav aria-label="Pages"></nav></main>'
    )
    assert structure_problems(page) == []


def test_the_title_is_read_with_its_whitespace_collapsed():
    assert page_title("<html><head><title>\n  Log in\n  · shop</title></head></html>") == (
        "Log in · shop"
    )


def test_titles_in_the_one_pattern_and_all_different_have_no_problems():
    assert title_problems({"/": "Home · shop", "/a/": "A · shop"}, "shop") == []


def test_a_title_with_another_separator_is_reported():
    title = "A \N{EN DASH} B · shop"
    assert title_problems({"/a/": title}, "shop") == [f"/a/: {title!r} uses another separator"]


def test_a_title_without_the_site_name_is_reported():
    assert title_problems({"/a/": "A"}, "shop") == ["/a/: 'A' is not '<page> · shop'"]


def test_two_pages_with_one_title_are_reported():
    assert title_problems({"/a/": "A · shop", "/b/": "A · shop"}, "shop") == [
        "'A · shop' is the title of 2 pages: ['/a/', '/b/']"
    ]
