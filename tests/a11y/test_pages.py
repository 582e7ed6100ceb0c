"""Every page of the site, in every shipped locale, as each role that can see it, in Debian's
headless Chromium: axe-core's WCAG 2.0/2.1 A and AA rules find nothing, the page reflows at
320 px without scrolling sideways, ``<html lang dir>`` say the locale, no two pages share a
title; the keyboard reaches every control and is never trapped; Arabic mirrors the header.

The server is a real ``cheeseshop serve`` subprocess (as tests/e2e uses), seeded once per test
process through its own ``manage shell``: pytest-django's ``live_server`` would need a
transactional database flushed after every test, so seeding once and browsing ~100 pages in ten
locales from a few tests is simpler and faster with a server of our own. Each pytest-xdist
worker has its own server, browser and seeded site; the locales are the parameters it spreads.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.a11y.conftest import AXE
from tests.a11y.pages import ANONYMOUS, ROLES, Page, all_pages
from tests.e2e.chromium import CHROMIUM, TIMEOUT_MS, chromium_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not chromium_available(),
        reason=f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
    ),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="browsing every page in ten locales is CI's SQLite job; the PostgreSQL job "
        "runs the site's own tests",
    ),
]

LOCALES = [code for code, _name in settings.LANGUAGES]
RTL_LOCALES = {"ar"}
WIDTHS = {1280: 900, 320: 800}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Stylesheets are not fetched again for axe (its "cssom" preload, twice per page): the one rule
# that reads them, css-orientation-lock, is experimental and outside the WCAG tags run here.
_AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
        reporter: "no-passes",
        preload: {assets: ["media"]},
    });
    return results.violations.map((v) => ({
        id: v.id, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
}"""

_PAGE_FACTS = """() => ({
    title: document.title,
    lang: document.documentElement.getAttribute("lang"),
    dir: document.documentElement.getAttribute("dir"),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
})"""


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    titles: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    views: int = 0

    def add(self, page: Page, locale: str, width: int | None, problem: str) -> None:
        where = f"{page.name} ({page.role}, {locale}" + (f", {width} px)" if width else ")")
        self.problems.append(f"{where}: {problem}")


def _context(browser, states: dict, role: str, site: str, locale: str):
    context = browser.new_context(
        storage_state=states.get(role), viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([{"name": "django_language", "value": locale, "url": site}])
    # Injected into every document the context loads, before the page's own scripts.
    context.add_init_script(path=str(AXE))
    return context


def _open(page, site: str, facts: dict, view: Page) -> str | None:
    """Go to ``view``; what is wrong if it did not answer as expected there."""
    address = view.url(facts)
    response = page.goto(site + address, wait_until="load")
    if view.reach is not None:
        view.reach(page, site, facts)
        return None
    if response is None or response.status != view.status:
        return f"answered {response and response.status} at {page.url}"
    if urlsplit(page.url).path != urlsplit(address).path:
        return f"redirected to {page.url}"
    return None


def _check_view(page, view: Page, locale: str, findings: Findings) -> None:
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        facts = page.evaluate(_PAGE_FACTS)
        findings.views += 1
        for violation in page.evaluate(_AXE_RUN, WCAG_TAGS):
            findings.add(
                view,
                locale,
                width,
                f"axe {violation['id']}: {violation['help']} — {violation['targets']}",
            )
        if facts["scrollWidth"] > facts["innerWidth"]:
            findings.add(
                view,
                locale,
                width,
                f"the page scrolls sideways: {facts['scrollWidth']} px wide in a "
                f"{facts['innerWidth']} px window",
            )
        if width == 1280:
            if (facts["lang"] or "").lower() != locale:
                findings.add(view, locale, None, f'<html lang="{facts["lang"]}">')
            expected_dir = "rtl" if locale in RTL_LOCALES else "ltr"
            if (facts["dir"] or "ltr") != expected_dir:
                findings.add(view, locale, None, f'<html dir="{facts["dir"]}">')
            findings.titles[facts["title"]].add((view.route, view.name))


def browse(browser, states, site, facts, locale, pages, check) -> Findings:
    """Visit ``pages`` in ``locale``, each role in a browser context of its own (one page
    reused for all its views), calling ``check(page, view, locale, findings)`` on each."""
    findings = Findings()
    for role in ROLES:
        shared = None
        for view in (page for page in pages if page.role == role):
            if view.own_context or shared is None:
                context = _context(browser, states, role, site, locale)
                page = context.new_page()
                if not view.own_context:
                    shared = (context, page)
            else:
                context, page = shared
            try:
                wrong = _open(page, site, facts, view)
                if wrong is not None:
                    findings.add(view, locale, None, wrong)
                    continue
                check(page, view, locale, findings)
            except Exception as error:  # one broken page must not hide the rest
                findings.add(view, locale, None, f"{type(error).__name__}: {error}")
            finally:
                if view.own_context:
                    context.close()
        if shared is not None:
            shared[0].close()
    return findings


def _runnable(pages: list[Page], facts: dict) -> list[Page]:
    """The pages whose seeded facts exist (an admin model without rows has no change form)."""
    names = set(facts)
    return [
        page for page in pages if {name for _, name, _, _ in _formatter_fields(page.path)} <= names
    ]


def _formatter_fields(path: str):
    import string

    return [field for field in string.Formatter().parse(path) if field[1]]


def _report(findings: Findings) -> str:
    return f"{len(findings.problems)} problems:\n" + "\n".join(findings.problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_passes_axe_reflows_and_says_its_language(
    locale, a11y_browser, a11y_site, a11y_states
):
    site, facts, _index = a11y_site
    pages = _runnable(all_pages(), facts)
    findings = browse(a11y_browser, a11y_states, site, facts, locale, pages, _check_view)
    duplicates = {
        title: sorted(name for _, name in views)
        for title, views in findings.titles.items()
        if len({route for route, _ in views}) > 1
    }
    assert findings.problems == [], _report(findings)
    assert duplicates == {}, "pages sharing a title:\n" + "\n".join(
        f"{title!r}: {names}" for title, names in duplicates.items()
    )
    assert len(findings.titles) > 0


def test_every_admin_model_has_a_row_to_open(a11y_site, a11y_states):
    """The seeding gives every model in the admin a row, so each change form is browsed."""
    _site, facts, _index = a11y_site
    skipped = sorted(set(all_pages()) - set(_runnable(all_pages(), facts)), key=str)
    assert sorted({page.name.split()[1] for page in skipped}) == []


# Keyboard: Tab from the top of the page to its end.

_MARK_FOCUSABLE = """() => {
    const selector = "a[href], button, input, select, textarea, summary, [tabindex]";
    const marked = [];
    for (const element of document.querySelectorAll(selector)) {
        if (element.matches("[tabindex='-1'], [disabled], input[type=hidden]")) continue;
        if (element.hasAttribute("tabindex") && element.tabIndex < 0) continue;
        if (!element.checkVisibility({visibilityProperty: true})) continue;
        if (element.closest("[inert]")) continue;
        // One stop per radio group: the group is reached when any of its buttons is.
        const group = element.type === "radio" && element.name
            ? `radio:${element.form ? element.form.id || "" : ""}:${element.name}` : null;
        element.dataset.a11yStop = group || `stop-${marked.length}`;
        marked.push({stop: element.dataset.a11yStop, what: describe(element)});
    }
    function describe(element) {
        const text = (element.innerText || element.value || element.name || "").trim();
        return `${element.tagName.toLowerCase()} "${text.slice(0, 40)}"`;
    }
    return marked;
}"""

_FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    // A control that became focusable after the page loaded gets a stop of its own.
    if (!element.dataset.a11yStop) element.dataset.a11yStop = `late-${Math.random()}`;
    return element.dataset.a11yStop;
}"""
# Presses of Tab that may stay on one control: a date or time input has a stop per part.
_STOPS_WITHIN_ONE_CONTROL = 6


def _check_keyboard(page, view: Page, locale: str, findings: Findings) -> None:
    """Tab round the page once, from wherever focus starts (a failed form focuses its error
    summary), through the end of the document and back to the same control."""
    stops = page.evaluate(_MARK_FOCUSABLE)
    expected = {stop["stop"]: stop["what"] for stop in stops}
    reached: list[str] = []
    same = 0
    for _ in range(2 * len(expected) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None:  # past the last control: back to the document, then the first
            continue
        if reached and focused == reached[-1]:
            same += 1
            if same >= _STOPS_WITHIN_ONE_CONTROL:
                what = expected.get(focused, focused)
                findings.add(view, locale, 1280, f"keyboard trap: focus stays on {what}")
                return
            continue
        same = 0
        if focused == (reached[0] if reached else None):
            break  # round the page once
        if focused in reached:
            what = expected.get(focused, focused)
            findings.add(view, locale, 1280, f"keyboard trap: focus cycles back to {what}")
            return
        reached.append(focused)
    else:
        if expected:
            findings.add(view, locale, 1280, "keyboard: Tab never came round the page")
            return
    unreachable = [what for stop, what in expected.items() if stop not in reached]
    if unreachable:
        findings.add(view, locale, 1280, f"never focused with Tab: {unreachable}")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_can_be_used_with_the_keyboard_in_english(
    role, a11y_browser, a11y_site, a11y_states
):
    site, facts, _index = a11y_site
    pages = [page for page in _runnable(all_pages(), facts) if page.role == role]
    findings = browse(a11y_browser, a11y_states, site, facts, "en", pages, _check_keyboard)
    assert findings.problems == [], _report(findings)


ARABIC_KEYBOARD_SAMPLE = {
    "home",
    "project",
    "sign up with errors",
    "manage releases",
    "collaboration",
    "new API token",
    "admin home",
    "admin packaging.project list",
}


def test_a_sample_of_pages_can_be_used_with_the_keyboard_in_arabic(
    a11y_browser, a11y_site, a11y_states
):
    site, facts, _index = a11y_site
    pages = [page for page in all_pages() if page.name in ARABIC_KEYBOARD_SAMPLE]
    assert len(pages) == len(ARABIC_KEYBOARD_SAMPLE)
    findings = browse(a11y_browser, a11y_states, site, facts, "ar", pages, _check_keyboard)
    assert findings.problems == [], _report(findings)


def test_arabic_mirrors_the_header(a11y_browser, a11y_site, a11y_states, tmp_path):
    site, _facts, _index = a11y_site
    boxes = {}
    for locale in ("en", "ar"):
        context = _context(a11y_browser, a11y_states, ANONYMOUS, site, locale)
        try:
            page = context.new_page()
            page.goto(f"{site}/", wait_until="load")
            header = page.locator("header.site-header")
            header.screenshot(path=str(tmp_path / f"header-{locale}.png"))
            page.screenshot(path=str(tmp_path / f"home-{locale}.png"))
            boxes[locale] = {
                "brand": page.locator("header .brand").bounding_box(),
                "nav": page.locator("header nav").bounding_box(),
                "page": page.evaluate(_PAGE_FACTS),
            }
        finally:
            context.close()
    en, ar = boxes["en"], boxes["ar"]
    for box in (en, ar):
        assert box["page"]["scrollWidth"] <= box["page"]["innerWidth"], boxes
    width = ar["page"]["innerWidth"]
    # English: the brand at the left edge, the account links at the right; Arabic: mirrored,
    # the brand as far from the right edge as it is from the left one in English.
    assert en["brand"]["x"] < en["nav"]["x"], boxes
    assert ar["brand"]["x"] > ar["nav"]["x"], boxes
    ar_brand_inset = width - (ar["brand"]["x"] + ar["brand"]["width"])
    assert ar_brand_inset >= 0, boxes
    assert abs(en["brand"]["x"] - ar_brand_inset) < 8, boxes
