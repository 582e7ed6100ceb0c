"""Structure checks every public page must pass, read with the standard library's parser."""

from dataclasses import dataclass
from html.parser import HTMLParser

# Inputs a person never types into need no label.
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
FIELD_TAGS = {"input", "select", "textarea"}
# Landmarks a page may hold more than once: then each needs a name of its own (a screen
# reader's landmark list otherwise shows two identical entries).
LANDMARK_ROLES = {"nav": "navigation"}
REPEATABLE_LANDMARKS = {"navigation", "search"}


@dataclass
class FormField:
    tag: str
    attrs: dict[str, str | None]
    inside_label: bool


class PageStructure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.html_lang: str | None = None
        self.h1_count = 0
        self.ids: list[str] = []
        self.label_targets: set[str] = set()
        self.fields: list[FormField] = []
        self.skip_link_targets: list[str] = []
        self.scripts_inline = 0
        self.style_attributes = 0
        self.links: list[dict[str, str | None]] = []
        self.landmarks: list[tuple[str, str | None]] = []
        self.title = ""
        self._in_title = False
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(attributes["id"])
        if "style" in attributes:
            self.style_attributes += 1
        landmark = LANDMARK_ROLES.get(tag) or attributes.get("role")
        if landmark in REPEATABLE_LANDMARKS:
            name = attributes.get("aria-label") or attributes.get("aria-labelledby")
            self.landmarks.append((landmark, name))
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.label_targets.add(attributes["for"])
        elif tag in FIELD_TAGS:
            self.fields.append(FormField(tag, attributes, self._label_depth > 0))
        elif tag == "a":
            self.links.append(attributes)
            if "skip-link" in (attributes.get("class") or "").split():
                self.skip_link_targets.append(attributes.get("href") or "")
        elif tag == "script" and not attributes.get("src"):
            self.scripts_inline += 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "label" and self._label_depth:
            self._label_depth -= 1

    def unlabelled_fields(self) -> list[FormField]:
        missing = []
        for form_field in self.fields:
            attrs = form_field.attrs
            if form_field.tag == "input" and attrs.get("type") in UNLABELLED_INPUT_TYPES:
                continue
            labelled = (
                form_field.inside_label
                or attrs.get("id") in self.label_targets
                or attrs.get("aria-label")
                or attrs.get("aria-labelledby")
            )
            if not labelled:
                missing.append(form_field)
        return missing


def parse_page(html: str) -> PageStructure:
    page = PageStructure()
    page.feed(html)
    page.close()
    return page


def structure_problems(html: str) -> list[str]:
    """What keeps ``html`` from being a well-formed, accessible page; empty when nothing."""
    page = parse_page(html)
    problems = []
    if not page.html_lang:
        problems.append("<html> has no lang attribute")
    if page.h1_count != 1:
        problems.append(f"{page.h1_count} h1 elements, not exactly one")
    for form_field in page.unlabelled_fields():
        problems.append(f"unlabelled {form_field.tag}: {form_field.attrs}")
    if not page.skip_link_targets:
        problems.append("no skip link")
    for target in page.skip_link_targets:
        if not target.startswith("#") or target[1:] not in page.ids:
            problems.append(f"skip link target {target!r} does not exist")
    for role in REPEATABLE_LANDMARKS:
        names = [name for landmark, name in page.landmarks if landmark == role]
        if len(names) > 1 and (None in names or len(set(names)) < len(names)):
            problems.append(f"{len(names)} {role} landmarks without a distinct name each")
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    if duplicates:
        problems.append(f"duplicate ids: {sorted(duplicates)}")
    if page.scripts_inline:
        problems.append("inline <script> (the CSP forbids it)")
    if page.style_attributes:
        problems.append("style attribute (the CSP forbids inline styles)")
    return problems


# Every title reads "<page> · <site name>"; no other separator appears.
TITLE_SEPARATOR = " · "
OTHER_SEPARATORS = (" \N{EN DASH} ", " \N{EM DASH} ", " | ")


def page_title(html: str) -> str:
    """The page's <title>, whitespace collapsed."""
    return " ".join(parse_page(html).title.split())


def title_problems(titles: dict[str, str], *site_names: str) -> list[str]:
    """What is wrong with the titles of pages (path -> title): a title not in the site's one
    pattern (one of ``site_names`` last: the admin's is "<site> administration"), or one title
    shared by several pages."""
    problems = []
    for path, title in titles.items():
        page, _, site = title.rpartition(TITLE_SEPARATOR)
        if site not in site_names or not page:
            problems.append(f"{path}: {title!r} is not '<page>{TITLE_SEPARATOR}{site_names[0]}'")
        if any(separator in title for separator in OTHER_SEPARATORS):
            problems.append(f"{path}: {title!r} uses another separator")
    paths_by_title: dict[str, list[str]] = {}
    for path, title in titles.items():
        paths_by_title.setdefault(title, []).append(path)
    for title, paths in paths_by_title.items():
        if len(paths) > 1:
            problems.append(f"{title!r} is the title of {len(paths)} pages: {paths}")
    return problems


def get_page(client, path: str, status: int = 200) -> str:
    """GET ``path``, expect ``status`` and a page that passes the structure checks; its HTML."""
    response = client.get(path)
    assert response.status_code == status, (response.status_code, path)
    html = response.content.decode()
    assert structure_problems(html) == []
    return html


class _DangerFinder(HTMLParser):
    FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "form", "base", "meta"}
    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in self.URL_ATTRIBUTES and value:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.found.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def dangerous_markup(html: str) -> list[str]:
    """Elements and attributes that would run script, found by parsing ``html`` as a browser
    would (escaped text that merely reads like markup is not markup)."""
    finder = _DangerFinder()
    finder.feed(html)
    finder.close()
    return finder.found
