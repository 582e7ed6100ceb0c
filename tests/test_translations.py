"""Every catalogue is complete, current and compiled, the template is current, and pages render
in each shipped language with nothing left in English.

Catalogues live in src/cheeseshop/locale/<locale>/LC_MESSAGES/, the template in
src/cheeseshop/locale/django.pot (docs/translating.md; ``cheeseshop translations``). The
extraction and compilation checks need GNU gettext (Debian package ``gettext``) and are skipped,
with the reason, where it is not installed.
"""

import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import get_language_info, to_language

from cheeseshop.translations import (
    MAKEMESSAGES_OPTIONS,
    PACKAGE_DIR,
    TEMPLATE,
    catalogue_languages,
    catalogue_path,
    plural_count,
    po_header,
    read_po,
)

LOCALES = catalogue_languages()
FRENCH_PO = catalogue_path("fr")

UPDATE_HINT = (
    "update the catalogues: cheeseshop translations update, translate, then "
    "cheeseshop translations compile (docs/translating.md)"
)

# How many plural forms each language has (gettext's rules, as Django's own catalogues say).
PLURAL_FORMS = {
    "de": 2,
    "es": 3,
    "fr": 2,
    "pt_BR": 2,
    "ru": 4,
    "uk": 4,
    "ar": 6,
    "ja": 1,
    "zh_Hans": 1,
}

needs_xgettext = pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="GNU gettext's xgettext is not installed (Debian package: gettext)",
)
needs_msgfmt = pytest.mark.skipif(
    shutil.which("msgfmt") is None,
    reason="GNU gettext's msgfmt is not installed (Debian package: gettext)",
)


# --- reading catalogues ---------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory) -> list:
    """What makemessages extracts from the sources now (the template it writes)."""
    work_dir = tmp_path_factory.mktemp("extraction")
    sources = work_dir / "cheeseshop"
    shutil.copytree(
        PACKAGE_DIR,
        sources,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "static"),
    )
    locale_dir = sources / "locale"
    locale_dir.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(settings, "LOCALE_PATHS", [str(locale_dir)])
        monkeypatch.chdir(sources)  # makemessages scans the current directory's tree
        call_command("makemessages", locale=["fr"], verbosity=0, **MAKEMESSAGES_OPTIONS)
    return read_po(locale_dir / "django.pot")


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
    assert plural.translations == ("%(count)d fichier", "%(count)d fichiers")
    assert not plural.fuzzy
    assert quoted.msgid == 'Say "hi"\n'
    assert quoted.translations == ('Dis "salut"\n',)
    assert quoted.fuzzy
    assert po_header(po) == {"Language": "fr"}


# --- the catalogues -------------------------------------------------------------------------


def test_every_shipped_language_but_english_has_a_catalogue():
    assert sorted(LOCALES) == sorted(PLURAL_FORMS)
    for locale in LOCALES:
        assert catalogue_path(locale).is_file(), f"no catalogue for {locale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalogue_names_its_language_and_its_plural_rules(locale):
    header = po_header(catalogue_path(locale))
    assert header["Language"] == locale
    assert plural_count(catalogue_path(locale)) == PLURAL_FORMS[locale]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    messages = read_po(catalogue_path(locale))
    untranslated = [m.key for m in messages if not all(m.translations)]
    fuzzy = [m.key for m in messages if m.fuzzy]

    assert messages
    assert not untranslated, f"untranslated {locale} messages:\n{describe(untranslated)}"
    assert not fuzzy, f"fuzzy {locale} messages (check, then drop the flag):\n{describe(fuzzy)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_messages_have_every_form_of_the_language(locale):
    expected = PLURAL_FORMS[locale]
    plurals = [m for m in read_po(catalogue_path(locale)) if m.msgid_plural is not None]
    wrong = [m.key for m in plurals if len(m.translations) != expected]
    assert plurals
    assert not wrong, f"plural messages without exactly {expected} forms:\n{describe(wrong)}"


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
def test_the_template_holds_exactly_the_messages_in_the_sources(fresh_template):
    extracted = {m.key for m in fresh_template}
    templated = {m.key for m in read_po(TEMPLATE)}

    assert extracted, "makemessages extracted nothing: is the sources copy right?"
    assert not extracted - templated, (
        f"messages in the sources but not in locale/django.pot ({UPDATE_HINT}):\n"
        + describe(extracted - templated)
    )
    assert not templated - extracted, (
        f"messages in locale/django.pot no longer in the sources ({UPDATE_HINT}):\n"
        + describe(templated - extracted)
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalogue_holds_exactly_the_messages_of_the_template(locale):
    templated = {m.key for m in read_po(TEMPLATE)}
    catalogued = {m.key for m in read_po(catalogue_path(locale))}

    assert not templated - catalogued, (
        f"messages in the template but not in {locale}'s django.po ({UPDATE_HINT}):\n"
        + describe(templated - catalogued)
    )
    assert not catalogued - templated, (
        f"messages in {locale}'s django.po no longer in the template ({UPDATE_HINT}):\n"
        + describe(catalogued - templated)
    )


@needs_msgfmt
@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogue_matches_the_po_file(locale, tmp_path):
    source = catalogue_path(locale)
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt refused {locale}'s django.po:\n{result.stderr}"
    shipped = source.with_suffix(".mo")
    assert shipped.exists(), "django.mo is missing: run cheeseshop translations compile"
    # Compare what the catalogues say, not their bytes: msgfmt versions lay files out differently.
    assert read_mo(shipped.read_bytes()) == read_mo(compiled.read_bytes()), (
        f"{locale}'s django.mo is out of date with django.po: cheeseshop translations compile"
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


# --- pages in every language ----------------------------------------------------------------

# Text a page shows that is not a translated message: names, code, machine values. Elements
# marked translate="no", code-like elements, and text in another language (the switcher's
# language names, each marked with its own lang) are skipped by the reader itself; a text made
# only of the words below is not a message either.
NOT_A_WORD_TO_TRANSLATE = re.compile(
    r"""^(
        [\W\d_]*                              # numbers, dates, sizes, punctuation, separators
      | cheeseshop | olive | olive@example\.com | Sample | Sample_Project | sample-project
      | PyPI | twine | pip | uv | TOTP | WebAuthn | TUF | sdist | [Ww]heel | README | MIT | Python
      | SHA256 | BLAKE2b-256 | MD5 | [0-9a-f]{32,}  # hash names and digests
      | (py|cp)\d* | any | none                 # wheel tags
      | [\w.-]+\.(whl|tar\.gz|zip)            # file names
      | \d[\d.a-z]*                           # versions (1.0, 2.0rc1)
      | [KMGT]B                               # size units, as Django's filesizeformat writes them
    )$""",
    re.VERBOSE,
)


def is_a_name_or_code(text: str) -> bool:
    return all(NOT_A_WORD_TO_TRANSLATE.match(word) for word in text.split())


# Words that a language writes exactly as English does, on the sample pages: allowed for that
# language only, each a checked fact, never a way to hide a missing translation.
SAME_AS_ENGLISH = {
    "de": {"Details", "Hashes", "Status", "Version"},
    "es": {"Hashes"},  # a loanword in Spanish developer writing, as in Python's own docs
    "fr": {"Type", "Version"},
    "pt_BR": {"Hashes", "Status"},
}


class VisibleText(HTMLParser):
    """The text a person reads on a page (and the labels screen readers announce)."""

    SKIPPED = {"script", "style", "code", "pre", "kbd", "samp", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    SPOKEN_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")

    def __init__(self, page_lang: str):
        super().__init__()
        self.page_lang = page_lang
        self.html_lang = None
        self.html_dir = None
        self.texts: list[str] = []
        self._skipping: list[bool] = []

    def _skipped(self) -> bool:
        return any(self._skipping)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang, self.html_dir = attributes.get("lang"), attributes.get("dir")
            return
        skip = (
            tag in self.SKIPPED
            or attributes.get("translate") == "no"
            or (attributes.get("lang") not in (None, self.page_lang))
        )
        if not self._skipped() and not skip:
            self.texts.extend(
                attributes[name] for name in self.SPOKEN_ATTRIBUTES if attributes.get(name)
            )
        if tag not in self.VOID:
            self._skipping.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self._skipping:
            self._skipping.pop()

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skipped():
            self.texts.append(text)


def visible_text(html: str, page_lang: str) -> VisibleText:
    reader = VisibleText(page_lang)
    reader.feed(html)
    reader.close()
    return reader


@pytest.fixture
def sample_site(django_user_model):
    from cheeseshop.accounts.services import create_user
    from cheeseshop.packaging.models import Role, RoleName
    from tests.index.builders import make_file, make_project, make_release

    project = make_project("Sample_Project")
    release = make_release(project, "1.0", summary="Sample", description="Sample")
    make_file(release, content=b"x" * 2048)
    owner = create_user("olive", "olive@example.com")
    Role.objects.create(user=owner, project=project, role_name=RoleName.OWNER)
    return owner


# Pages of every kind a visitor and a logged-in user see: the test compares each in every
# language with the English page.
SAMPLE_PAGES = [
    ("/", False),
    ("/search/?q=nothing-matches-this", False),
    ("/project/sample-project/", False),
    ("/project/sample-project/1.0/", False),
    ("/user/olive/", False),
    ("/account/login/", False),
    ("/account/signup/", False),
    ("/account/password/reset/", False),
    ("/manage/projects/", True),
    ("/manage/account/", True),
    ("/manage/project/sample-project/releases/", True),
    ("/manage/account/tokens/", True),
    ("/manage/account/history/", True),
    ("/account/email/", True),
    ("/account/2fa/", True),
]


def render(client, path: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200, f"{path} in {language}: {response.status_code}"
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("locale", LOCALES)
def test_pages_render_in_the_language_with_its_direction_and_no_english_left(
    locale, client, sample_site
):
    language = to_language(locale)
    bidi = get_language_info(language)["bidi"]
    allowed = SAME_AS_ENGLISH.get(locale, set())
    left_in_english = []
    for path, logged_in in SAMPLE_PAGES:
        if logged_in:
            client.force_login(sample_site)
        english = visible_text(render(client, path, "en"), "en")
        page = visible_text(render(client, path, language), language)

        assert page.html_lang == language, path
        assert page.html_dir == ("rtl" if bidi else "ltr"), path
        english_texts = set(english.texts)
        left_in_english += [
            f"{path}: {text!r}"
            for text in dict.fromkeys(page.texts)
            if text in english_texts and text not in allowed and not is_a_name_or_code(text)
        ]
    assert not left_in_english, f"English text on {locale} pages:\n" + "\n".join(left_in_english)


# --- cheeseshop translations ----------------------------------------------------------------


def test_status_counts_each_catalogue_and_check_fails_on_an_incomplete_one(
    tmp_path, monkeypatch, capsys
):
    from cheeseshop import translations
    from cheeseshop.cli import main

    for locale, second in (("de", "Zweite"), ("fr", "")):
        catalogue = tmp_path / locale / "LC_MESSAGES" / "django.po"
        catalogue.parent.mkdir(parents=True)
        catalogue.write_text(
            f'msgid ""\nmsgstr "Language: {locale}\\n"\n\n'
            f'msgid "First"\nmsgstr "Erste"\n\n'
            f'#, fuzzy\nmsgid "Second"\nmsgstr "{second}"\n',
            encoding="utf-8",
        )
    monkeypatch.setattr(translations, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(translations, "catalogue_languages", lambda: ["de", "fr"])

    assert main(["translations", "status"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "de: 1/2 translated (50%), 1 fuzzy",
        "fr: 1/2 translated (50%), 1 fuzzy",
    ]
    assert main(["translations", "status", "--check"]) == 1
    assert "incomplete" in capsys.readouterr().err
