"""A small HTTP "browser" for end-to-end tests: it keeps cookies, finds forms in real HTML and
submits them as a person would (hidden fields such as the CSRF token included)."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    submit_names: list[str] = field(default_factory=list)
    text: str = ""


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = Form(action=a.get("action") or "", method=(a.get("method") or "get"))
            self.forms.append(self._current)
        elif self._current is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind == "submit":
                self._current.submit_names.append(a["name"])
                return
            self._current.fields[a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._current.fields.setdefault(a["name"], "")
        elif tag == "option" and self._select:
            if "selected" in a or not self._current.fields[self._select]:
                self._current.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._current.fields[a["name"]] = ""
        elif tag == "button" and a.get("name"):
            self._current.submit_names.append(a["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._current is not None:
            self._current.text += data


class Browser:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.page_url = base_url
        self.html = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.session.get(urljoin(self.base_url, path), timeout=30, **kwargs)
        self.page_url, self.html = response.url, response.text
        return response

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.html)
        return parser.forms

    def form(self, action: str | None = None, containing: str | None = None) -> Form:
        """The page's form whose action matches the regex ``action`` (and whose text contains
        ``containing``)."""
        for form in self.forms():
            if action is not None and not re.search(action, form.action or self.page_url):
                continue
            if containing is not None and containing not in form.text:
                continue
            return form
        raise AssertionError(f"no form {action!r} on {self.page_url}:\n{self.html[:3000]}")

    def submit(self, form: Form, **values: str) -> requests.Response:
        data = {**form.fields, **values}
        url = urljoin(self.page_url, form.action or self.page_url)
        headers = {"Referer": self.page_url}
        if form.method.lower() == "post":
            response = self.session.post(url, data=data, headers=headers, timeout=60)
        else:
            response = self.session.get(url, params=data, headers=headers, timeout=60)
        self.page_url, self.html = response.url, response.text
        return response
