"""The French catalogue is complete, current and compiled, and pages render in French.

Catalogues live in src/cheeseshop/locale/<language>/LC_MESSAGES/ (docs/translating.md). The
extraction and compilation checks need GNU gettext (Debian package ``gettext``) and are skipped,
with the reason, where it is not installed.
"""

import ast
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

PACKAGE_DIR = Path(settings.BASE_DIR)
FRENCH_PO = PACKAGE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.po"
FRENCH_MO = FRENCH_PO.with_suffix(".mo")

# The same options as the command in docs/translating.md, so the test extracts what it says.
MAKEMESSAGES_OPTIONS = {
    "ignore_patterns": ["migrations/*"],
    "no_location": True,
    "no_obsolete": True,
    "verbosity": 0,
}
UPDATE_HINT = (
    "update the catalogue: cd src/cheeseshop && cheeseshop manage makemessages -a "
    "--ignore 'migrations/*' --no-location --no-obsolete, translate, then compilemessages "
    "(docs/translating.md)"
)

needs_xgettext = pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="GNU gettext's xgettext is not installed (Debian package: gettext)",
)
needs_msgfmt = pytest.mark.skipif(
    shutil.which("msgfmt") is None,
    reason="GNU gettext's msgfmt is not installed (Debian package: gettext)",
)


# --- reading catalogues ---------------------------------------------------------------------


@dataclass
class Message:
    context: str | None
    msgid: str
    msgid_plural: str | None
    translations: list[str]
    fuzzy: bool

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.context, self.msgid, self.msgid_plural)


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
        translations=[text for _n, text in plural_forms] or [fields.get("msgstr", "")],
        fuzzy="fuzzy" in flags,
    )


def read_po(path: Path) -> list[Message]:
    """The live messages of a PO file (header and obsolete ``#~`` entries left out)."""
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


def read_mo(data: bytes) -> dict[bytes, bytes]:
    """Original -> translation pairs of a compiled GNU .mo catalogue."""
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _revision, count, originals_at, translations_at = struct.unpack(order + "4I", data[4:20])

    def strings(table_at: int) -> list[bytes]:
        result = []
        for index in range(count):
            length, offset = struct.unpack(order + "2I", data[table_at + 8 * index :][:8])
            result.append(data[offset : offset + length])
        return result

    return dict(zip(strings(originals_at), strings(translations_at), strict=True))


def fresh_extraction(work_dir: Path, settings, monkeypatch) -> list[Message]:
    """What makemessages extracts from the sources now, into an empty catalogue."""
    sources = work_dir / "cheeseshop"
    shutil.copytree(
        PACKAGE_DIR,
        sources,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "static"),
    )
    locale_dir = sources / "locale"
    locale_dir.mkdir()
    settings.LOCALE_PATHS = [str(locale_dir)]
    monkeypatch.chdir(sources)  # makemessages scans the current directory's tree
    call_command("makemessages", locale=["fr"], **MAKEMESSAGES_OPTIONS)
    return read_po(locale_dir / "fr" / "LC_MESSAGES" / "django.po")


def describe(keys) -> str:
    return "\n".join(f"  {msgid!r}" for _context, msgid, _plural in sorted(keys, key=str))


# --- the reader itself ----------------------------------------------------------------------


def test_read_po_reads_plurals_escapes_fuzzy_flags_and_skips_obsolete_entries(tmp_path):
    po = tmp_path / "test.po"
    po.write_text(
        'msgid ""\nmsgstr "Language: fr\\n"\n\n'
        '#, python-format\nmsgid "%(count)d file"\nmsgid_plural "%(count)d files"\n'
        'msgstr[0] "%(count)d fichier"\nmsgstr[1] "%(count)d fichiers"\n\n'
        '#, fuzzy\nmsgid "Say \\"hi\\"\\n"\nmsgstr ""\n"Dis "\n"\\"salut\\"\\n"\n\n'
        '#~ msgid "Gone"\n#~ msgstr "Parti"\n',
        encoding="utf-8",
    )

    plural, quoted = read_po(po)

    assert plural.msgid_plural == "%(count)d files"
    assert plural.translations == ["%(count)d fichier", "%(count)d fichiers"]
    assert not plural.fuzzy
    assert quoted.msgid == 'Say "hi"\n'
    assert quoted.translations == ['Dis "salut"\n']
    assert quoted.fuzzy


# --- the catalogue --------------------------------------------------------------------------


def test_the_french_catalogue_exists_with_french_plural_rules():
    header = FRENCH_PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "Language: fr\\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\\n" in header


def test_every_french_message_is_translated_and_none_is_fuzzy():
    messages = read_po(FRENCH_PO)
    untranslated = [m.key for m in messages if not all(m.translations)]
    fuzzy = [m.key for m in messages if m.fuzzy]

    assert messages
    assert not untranslated, f"untranslated French messages:\n{describe(untranslated)}"
    assert not fuzzy, f"fuzzy French messages (check, then drop the flag):\n{describe(fuzzy)}"


def test_plural_messages_have_both_french_forms():
    plurals = [m for m in read_po(FRENCH_PO) if m.msgid_plural is not None]
    wrong = [m.key for m in plurals if len(m.translations) != 2]
    assert plurals
    assert not wrong, f"plural messages without exactly 2 forms:\n{describe(wrong)}"


def test_french_punctuation_uses_no_break_spaces():
    # French puts a space before : ; ? ! and inside « »; a plain space could break the line there.
    plain_space = re.compile(r" [:;?!](?=\s|$)| »|« ")
    wrong = [
        m.key
        for m in read_po(FRENCH_PO)
        if any(plain_space.search(text) for text in m.translations)
    ]
    assert not wrong, f"use U+00A0 (no-break space) in:\n{describe(wrong)}"


@needs_xgettext
def test_the_french_catalogue_holds_exactly_the_messages_in_the_sources(
    tmp_path, settings, monkeypatch
):
    extracted = {m.key for m in fresh_extraction(tmp_path, settings, monkeypatch)}
    catalogued = {m.key for m in read_po(FRENCH_PO)}

    assert extracted, "makemessages extracted nothing: is the sources copy right?"
    missing = extracted - catalogued
    stale = catalogued - extracted
    assert not missing, f"messages in the sources but not in fr's django.po ({UPDATE_HINT}):\n" + (
        describe(missing)
    )
    assert not stale, f"messages in fr's django.po no longer in the sources ({UPDATE_HINT}):\n" + (
        describe(stale)
    )


@needs_msgfmt
def test_the_compiled_french_catalogue_matches_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(FRENCH_PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt refused fr's django.po:\n{result.stderr}"
    assert FRENCH_MO.exists(), "django.mo is missing: run compilemessages"
    # Compare what the catalogues say, not their bytes: msgfmt versions lay files out differently.
    assert read_mo(FRENCH_MO.read_bytes()) == read_mo(compiled.read_bytes()), (
        "django.mo is out of date with django.po: cd src/cheeseshop && "
        "cheeseshop manage compilemessages"
    )


# --- pages in French ------------------------------------------------------------------------


class PageLanguage(HTMLParser):
    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


def page_language(response) -> PageLanguage:
    assert response.status_code == 200
    page = PageLanguage()
    page.feed(response.content.decode())
    page.h1 = " ".join(page.h1.split())
    return page


HOME_H1_FR = "Trouvez, installez et publiez des paquets Python avec cheeseshop"
HOME_H1_EN = "Find, install and publish Python packages with cheeseshop"


@pytest.fixture
def site_named_cheeseshop(settings):
    settings.SITE_NAME = "cheeseshop"


@pytest.mark.django_db
@pytest.mark.usefixtures("site_named_cheeseshop")
def test_the_home_page_is_french_when_the_language_cookie_says_fr(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = page_language(client.get("/"))

    assert page.html_lang == "fr"
    assert page.h1 == HOME_H1_FR


@pytest.mark.django_db
@pytest.mark.usefixtures("site_named_cheeseshop")
def test_the_home_page_is_french_when_the_browser_asks_for_french(client):
    page = page_language(client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5"))

    assert page.html_lang == "fr"
    assert page.h1 == HOME_H1_FR


@pytest.mark.django_db
@pytest.mark.usefixtures("site_named_cheeseshop")
def test_the_home_page_stays_english_for_a_language_the_site_does_not_ship(client):
    page = page_language(client.get("/", HTTP_ACCEPT_LANGUAGE="nl, en;q=0.5"))

    assert page.html_lang == "en"
    assert page.h1 == HOME_H1_EN


@pytest.mark.django_db
def test_the_login_page_is_french_when_the_browser_asks_for_french(client):
    response = client.get("/account/login/", HTTP_ACCEPT_LANGUAGE="fr")
    page = page_language(response)
    html = response.content.decode()

    assert page.html_lang == "fr"
    assert page.h1 == "Se connecter"
    assert "Mot de passe oublié\u00a0?" in html
    assert "Aller au contenu principal" in html


@pytest.mark.django_db
@pytest.mark.usefixtures("site_named_cheeseshop")
def test_the_footer_language_switcher_turns_the_site_french(client):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302

    page = page_language(client.get("/"))
    assert page.html_lang == "fr"
    assert page.h1 == HOME_H1_FR


def test_every_model_and_field_of_ours_has_a_translatable_name():
    """The admin shows model and field names as headings and labels: each must be a lazy
    translation, not a name Django derives from the code."""
    from django.apps import apps
    from django.utils.functional import Promise

    untranslated = []
    for model in apps.get_models():
        if not model.__module__.startswith("cheeseshop."):
            continue
        options = model._meta
        for name in ("verbose_name", "verbose_name_plural"):
            if not isinstance(options.original_attrs.get(name), Promise):
                untranslated.append(f"{model.__name__}.Meta.{name}")
        for field in [*options.local_fields, *options.local_many_to_many]:
            if not field.primary_key and not isinstance(field.verbose_name, Promise):
                untranslated.append(f"{model.__name__}.{field.name}")
    assert untranslated == []
