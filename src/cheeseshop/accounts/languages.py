"""Each person's own language: the one they chose is stored on their account (``User.language``),
the pages they see while signed in follow it, and every email to them is written in it.

Which language, when someone never chose one (accounts from before languages were stored, or
made with the command line):

- a page: the language cookie, then the browser's Accept-Language, then English, as for
  anyone signed out;
- an email they caused themselves (a password reset, a confirmation link, a login from a new
  device): the language of the page they were using when they caused it;
- an email someone or something else caused (an invitation, a project's security notice, a
  leaked token, an administrator's reset): settings.LANGUAGE_CODE, never the language of
  whoever acted, which says nothing about the reader.

An email to an address with no account (a password reset asked for an unknown address) is
written in the language of the page it was asked from.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation


def is_site_language(code: str | None) -> bool:
    """Whether ``code`` is one of settings.LANGUAGES (the only ones a person may choose)."""
    return bool(code) and code in dict(settings.LANGUAGES)


def language_name(code: str) -> str:
    """The language's name in itself ("Deutsch", "日本語"), as settings.LANGUAGES gives it."""
    return dict(settings.LANGUAGES)[code]


def current_site_language() -> str:
    """The active language as one of settings.LANGUAGES' codes ("pt-br" for "pt-BR"),
    settings.LANGUAGE_CODE when the active one is not among them."""
    code = (translation.get_language() or "").lower()
    if is_site_language(code):
        return code
    base = code.split("-")[0]
    return base if is_site_language(base) else settings.LANGUAGE_CODE


def chosen_language(user) -> str:
    """The language ``user`` chose, "" when none (or one no longer offered)."""
    code = getattr(user, "language", "") if user is not None else ""
    return code if is_site_language(code) else ""


def language_of(user, *, they_acted: bool = False) -> str:
    """The language to write to ``user`` in: the one they chose; without one, the current
    language when they caused the message themselves, else settings.LANGUAGE_CODE."""
    chosen = chosen_language(user)
    if chosen:
        return chosen
    return current_site_language() if they_acted else settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user, *, they_acted: bool = False) -> Iterator[str]:
    """Translate what is rendered inside the block into ``user``'s language (``language_of``);
    with no user (an address nobody has), the current language stays."""
    code = current_site_language() if user is None else language_of(user, they_acted=they_acted)
    with translation.override(code):
        yield code


def remember_language(user, code: str) -> bool:
    """Store ``code`` as ``user``'s language; False (nothing stored) when it is not one of the
    site's languages or is already theirs."""
    if not is_site_language(code) or user.language == code:
        return False
    user.language = code
    user.save(update_fields=["language"])
    return True


def set_language_cookie(response, code: str) -> None:
    """The cookie Django's set_language view sets, so a signed-out page keeps the language."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
