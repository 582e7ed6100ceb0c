"""One rule for the characters of everything the index is sent, applied where it comes in.

Refused wherever a value comes from (the URL's path and query, form fields, JSON bodies, the
request's headers, the metadata of an uploaded distribution):

- NUL (U+0000): no text holds it, and PostgreSQL cannot store it in a text column;
- lone surrogates (U+D800 to U+DFFF, which JSON's ``\\ud800`` escapes can produce): they are
  not characters, and cannot be written as UTF-8;
- in a value of one line (a header, a query parameter, a name, a version), the other control
  characters (U+0001 to U+001F, U+007F) but a tab; a path holds none at all. Text of several
  lines (a description, a form field that may be a textarea) may hold them: line breaks, tabs,
  a README's form feeds.

The entry points apply it: ``InputCharactersMiddleware`` to every request's path, query, headers
and form; the JSON APIs to their bodies (``check_json``); the upload, which streams its body
(``reads_its_own_body``), to its form fields and to the metadata it reads from the file.
"""

import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

from cheeseshop.errors import Invalid

_SURROGATES = "\ud800-\udfff"


class Shape(Enum):
    """What a value is, which decides the control characters it may hold."""

    NAME = re.compile(rf"[\x00-\x1f\x7f{_SURROGATES}]")  # a path, a name: none
    LINE = re.compile(rf"[\x00-\x08\x0a-\x1f\x7f{_SURROGATES}]")  # one line: a tab
    TEXT = re.compile(rf"[\x00{_SURROGATES}]")  # lines: every control but NUL


class UnsafeCharacter(Invalid):
    """A value holding a character the rule above refuses; ``message`` says which and where."""


def describe_character(character: str) -> str:
    """A refused character, named for a person: its kind and its code point."""
    code = ord(character)
    if code == 0:
        return _("a NUL character (U+0000)")
    if 0xD800 <= code <= 0xDFFF:
        return _("a lone surrogate (U+%(code)04X)") % {"code": code}
    return _("a control character (U+%(code)04X)") % {"code": code}


def unsafe_character(text: str, shape: Shape = Shape.LINE) -> str | None:
    """The first character of ``text`` the rule refuses for a value of ``shape``, or None."""
    match = shape.value.search(text)
    return match.group() if match else None


def check_text(text: str, *, where: str, shape: Shape = Shape.LINE) -> str:
    """``text``, if the rule accepts it as a value of ``shape``; ``where`` names the value for
    the message ("The query parameter 'q'"). Raises UnsafeCharacter."""
    character = unsafe_character(text, shape)
    if character is not None:
        raise UnsafeCharacter(
            _("%(where)s contains %(character)s, which this index does not accept.")
            % {"where": where, "character": describe_character(character)}
        )
    return text


def _check_named(
    name: str, values: list[str], *, named: str, unnamed: str, shape: Shape = Shape.LINE
) -> None:
    """A named value (a header, a parameter, a field): its name as a line (``unnamed`` says
    where, not repeating it), then each of its ``values`` (``named`` % name says where). The
    message is only made for a refusal: this runs on every request."""
    check_text(name, where=unnamed)
    for value in values:
        if unsafe_character(value, shape) is not None:
            check_text(value, where=named % {"name": name}, shape=shape)


def check_json(value: Any, *, where: str, shape: Shape = Shape.LINE) -> Any:
    """``value``, a decoded JSON document, if every key and string in it passes the rule (keys
    as names, strings as values of ``shape``). Raises UnsafeCharacter."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            check_text(item, where=where, shape=shape)
        elif isinstance(item, dict):
            for key in item:
                check_text(key, where=_("A key of the JSON document"))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


# -- the request


FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _header_name(meta_key: str) -> str:
    return meta_key.removeprefix("HTTP_").replace("_", "-").title()


_BODY_HEADERS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def _is_header(meta_key: str) -> bool:
    return meta_key.startswith("HTTP_") or meta_key in _BODY_HEADERS


def _header_values(environ: dict[str, Any]):
    return (
        (key, value)
        for key, value in environ.items()
        if _is_header(key) and isinstance(value, str)
    )


def check_headers(environ: dict[str, Any]) -> None:
    """Every header of a WSGI environ (or a request's META) is a line. Raises UnsafeCharacter."""
    for key, value in _header_values(environ):
        _check_named(
            _header_name(key), [value], named=_("The header '%(name)s'"), unnamed=_("A header")
        )


def has_unsafe_header(environ: dict[str, Any]) -> bool:
    """Whether a header of ``environ`` breaks the rule (the fast path's question, asked of
    every request: one search over the values joined by a space, which the rule allows)."""
    values = " ".join(
        [
            value
            for key, value in environ.items()
            if (key[:5] == "HTTP_" or key in _BODY_HEADERS) and value.__class__ is str
        ]
    )
    return unsafe_character(values) is not None


def check_request(request: HttpRequest) -> None:
    """The path, the query and the headers of ``request``. Raises UnsafeCharacter."""
    check_text(request.path_info, where=_("The URL path"), shape=Shape.NAME)
    for name, values in request.GET.lists():
        _check_named(
            name,
            values,
            named=_("The query parameter '%(name)s'"),
            unnamed=_("The name of a query parameter"),
        )
    check_headers(request.META)


def check_form(request: HttpRequest) -> None:
    """The fields of a POSTed form (urlencoded or multipart; files are not text). Raises
    UnsafeCharacter."""
    if request.method != "POST" or request.content_type not in FORM_CONTENT_TYPES:
        return
    for name, values in request.POST.lists():
        # Any field may be a textarea: only NUL and surrogates are refused here; a field of one
        # line is held to the rest by its form (or its service, as a token's description).
        _check_named(
            name,
            values,
            named=_("The form field '%(name)s'"),
            unnamed=_("The name of a form field"),
            shape=Shape.TEXT,
        )


def reads_its_own_body(view: Callable) -> Callable:
    """Marks a view that reads its request body itself (the upload streams it to disk): the
    middleware leaves its form alone, and the view applies the rule to what it reads."""
    view.reads_its_own_body = True
    return view


def _refusal(refusal: UnsafeCharacter) -> HttpResponse:
    return HttpResponseBadRequest(refusal.message + "\n", content_type="text/plain; charset=utf-8")


class InputCharactersMiddleware:
    """Answers 400, naming the value and the character, to a request the rule refuses: its
    path, query and headers before anything reads them, its form before the view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except UnsafeCharacter as refusal:
            return _refusal(refusal)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args, kwargs
    ) -> HttpResponse | None:
        if getattr(view, "reads_its_own_body", False):
            return None
        try:
            check_form(request)
        except UnsafeCharacter as refusal:
            return _refusal(refusal)
        return None
