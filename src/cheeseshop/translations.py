"""The translation catalogues: where they live, what they hold, and ``cheeseshop translations``
(extract the messages, update every catalogue and the template, compile, report progress).

One catalogue per shipped language (``settings.LANGUAGES`` minus English, the source language)
under ``locale/<locale>/LC_MESSAGES/django.po``, and the template ``locale/django.pot`` that a
translation platform (Weblate) starts new languages from. docs/translating.md explains the
workflow; the commands work on a source checkout, where the catalogues are files to commit.
"""

import argparse
import ast
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cheeseshop.console import LOCALE_DIR, complain, help_gettext, say

PACKAGE_DIR = LOCALE_DIR.parent
TEMPLATE = LOCALE_DIR / "django.pot"

# makemessages' options, here once: the test that the catalogues are current extracts with them.
# No locations (moving code leaves catalogues alone), no obsolete entries, migrations skipped
# (their verbose names repeat the models'); keep the template for translation platforms.
MAKEMESSAGES_OPTIONS = {
    "ignore_patterns": ["migrations/*"],
    "no_location": True,
    "no_obsolete": True,
    "keep_pot": True,
}


@dataclass(frozen=True)
class Message:
    """One entry of a PO file: what to translate and what it was translated to."""

    context: str | None
    msgid: str
    msgid_plural: str | None
    translations: tuple[str, ...]
    fuzzy: bool

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.context, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        return all(self.translations) and not self.fuzzy


def _po_string(quoted: str) -> str:
    # PO strings use C escapes (\n, \t, \", \\), which Python string literals read the same way.
    return ast.literal_eval(quoted)


def _message(fields: dict[str, str], flags: set[str]) -> Message | None:
    if not fields.get("msgid"):  # the header, or nothing
        return None
    plural_forms = sorted(
        (int(name[len("msgstr[") : -1]), text)
        for name, text in fields.items()
        if name.startswith("msgstr[")
    )
    return Message(
        context=fields.get("msgctxt"),
        msgid=fields["msgid"],
        msgid_plural=fields.get("msgid_plural"),
        translations=tuple(text for _n, text in plural_forms) or (fields.get("msgstr", ""),),
        fuzzy="fuzzy" in flags,
    )


def read_po(path: Path) -> list[Message]:
    """The live messages of a PO or POT file (header and obsolete ``#~`` entries left out)."""
    entries: list[tuple[dict[str, str], set[str]]] = [({}, set())]
    last_field = ""
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        fields, flags = entries[-1]
        translated = any(name.startswith("msgstr") for name in fields)
        # An entry ends at a blank line, or where the next one's comments or msgid begin.
        if not line or (translated and (line.startswith(("#", "msgctxt ", "msgid ")))):
            entries.append(({}, set()))
            fields, flags = entries[-1]
        if line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        elif not line or line.startswith("#"):  # other comments, obsolete entries
            continue
        elif line.startswith('"'):
            fields[last_field] += _po_string(line)
        else:
            last_field, _, quoted = line.partition(" ")
            fields[last_field] = _po_string(quoted)
    messages = (_message(fields, flags) for fields, flags in entries)
    return [message for message in messages if message is not None]


def po_header(path: Path) -> dict[str, str]:
    """The header fields of a PO file (Language, Plural-Forms…): the msgstr of its first entry,
    whose msgid is empty."""
    header = ""
    in_msgstr = False
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line and header:
            break
        if line.startswith("msgstr "):
            in_msgstr = True
            header = _po_string(line[len("msgstr ") :])
        elif in_msgstr and line.startswith('"'):
            header += _po_string(line)
    fields = {}
    for field in header.splitlines():
        name, _, value = field.partition(":")
        if value:
            fields[name.strip()] = value.strip()
    return fields


def plural_count(path: Path) -> int:
    """How many plural forms the catalogue's language has (its Plural-Forms header)."""
    plural_forms = po_header(path)["Plural-Forms"]
    return int(plural_forms.split("nplurals=", 1)[1].split(";", 1)[0])


def catalogue_languages() -> list[str]:
    """The locale names (``pt_BR``, ``zh_Hans``) of the shipped languages that are translated."""
    from django.conf import settings
    from django.utils.translation import to_locale

    return [
        to_locale(code) for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
    ]


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"


@dataclass(frozen=True)
class CatalogueProgress:
    locale: str
    total: int
    translated: int
    fuzzy: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.translated == self.total


def progress(locale: str) -> CatalogueProgress:
    messages = read_po(catalogue_path(locale))
    return CatalogueProgress(
        locale=locale,
        total=len(messages),
        translated=sum(message.translated for message in messages),
        fuzzy=sum(message.fuzzy for message in messages),
    )


@contextlib.contextmanager
def _in_directory(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


def update_catalogues(locales: list[str]) -> None:
    """Extract every message from the sources into the template and merge it into each
    catalogue (new messages arrive empty, changed ones fuzzy, removed ones are dropped)."""
    from django.core.management import call_command

    # makemessages scans the current directory's tree and writes the catalogues under it.
    with _in_directory(PACKAGE_DIR):
        call_command("makemessages", locale=locales, verbosity=0, **MAKEMESSAGES_OPTIONS)


def compile_catalogues(locales: list[str]) -> None:
    from django.core.management import call_command

    with _in_directory(PACKAGE_DIR):
        call_command("compilemessages", locale=locales, verbosity=0)


# --- cheeseshop translations ----------------------------------------------------------------


def _start() -> None:
    # The full settings (LANGUAGES, LOCALE_PATHS). Nothing here touches the database or the data
    # directory, so the settings load from a throwaway directory: the default data directory
    # (./cheeseshop-data) is not created in the checkout.
    from cheeseshop.console import setup_django

    with _in_directory(Path(tempfile.mkdtemp(prefix="cheeseshop-translations-"))):
        setup_django()


def _report(locales: list[str]) -> bool:
    from django.utils.translation import gettext as _

    complete = True
    for locale in locales:
        counts = progress(locale)
        complete = complete and counts.complete
        percent = 100 * counts.translated // counts.total if counts.total else 0
        say(
            _("%(locale)s: %(translated)d/%(total)d translated (%(percent)d%%), %(fuzzy)d fuzzy")
            % {
                "locale": locale,
                "translated": counts.translated,
                "total": counts.total,
                "percent": percent,
                "fuzzy": counts.fuzzy,
            }
        )
    return complete


def cmd_update(args: argparse.Namespace) -> int:
    _start()
    locales = catalogue_languages()
    update_catalogues(locales)
    _report(locales)
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    _start()
    compile_catalogues(catalogue_languages())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    _start()
    from django.utils.translation import gettext as _

    complete = _report(catalogue_languages())
    if args.check and not complete:
        complain(_("some catalogues are incomplete: translate them, then compile"))
        return 1
    return 0


def add_translation_commands(sub) -> None:
    _ = help_gettext()  # --help: printed before Django starts
    translations = sub.add_parser(
        "translations",
        help=_("extract, update and compile the translation catalogues (docs/translating.md)"),
    ).add_subparsers(dest="translations_command", required=True, metavar="COMMAND")
    update = translations.add_parser(
        "update",
        help=_("extract the messages from the sources into locale/django.pot and every catalogue"),
    )
    update.set_defaults(func=cmd_update)
    compile_ = translations.add_parser("compile", help=_("compile every catalogue (.po → .mo)"))
    compile_.set_defaults(func=cmd_compile)
    status = translations.add_parser("status", help=_("how much of each catalogue is translated"))
    status.add_argument(
        "--check", action="store_true", help=_("exit 1 unless every catalogue is complete")
    )
    status.set_defaults(func=cmd_status)
