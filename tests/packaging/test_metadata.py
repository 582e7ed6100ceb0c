import json

import pytest

from cheeseshop.packaging import metadata as metadata_module
from cheeseshop.packaging.errors import UploadRejected
from cheeseshop.packaging.metadata import (
    check_form_agrees,
    is_valid_url,
    parse_metadata,
    release_fields,
    rendered_description,
)
from tests.packaging.dists import core_metadata

SPEC_HINT = ". See https://packaging.python.org/specifications/core-metadata for more information."


def parse(fields: dict | None = None, name: str = "example", version: str = "1.0"):
    return parse_metadata(core_metadata(name, version, fields))


def rejected(data: bytes) -> str:
    with pytest.raises(UploadRejected) as excinfo:
        parse_metadata(data)
    return excinfo.value.message


def rejected_fields(fields: dict, name: str = "example", version: str = "1.0") -> str:
    return rejected(core_metadata(name, version, fields))


# Parsing -------------------------------------------------------------------------------------


def test_parses_valid_metadata():
    metadata = parse({"Summary": "A summary", "Requires-Dist": ["requests>=2", "rich"]})
    assert metadata.name == "example"
    assert str(metadata.version) == "1.0"
    assert [str(req) for req in metadata.requires_dist] == ["requests>=2", "rich"]


def test_description_is_read_from_the_message_body():
    metadata = parse({"Description": "Line one\n\nLine two\n"})
    assert metadata.description == "Line one\n\nLine two\n"


@pytest.mark.parametrize("field", ["Name", "Version"])
def test_name_and_version_are_required(field):
    message = rejected_fields({field: None})
    assert message == f"'{field.lower()}' is a required field{SPEC_HINT}"


def test_metadata_version_is_required():
    assert rejected_fields({"Metadata-Version": None}) == (
        f"'metadata-version' is a required field{SPEC_HINT}"
    )


@pytest.mark.parametrize("version", ["2.0", "2.6", "3.0", "banana"])
def test_unsupported_metadata_versions_are_refused(version):
    message = rejected_fields({"Metadata-Version": version})
    assert message == (
        f"'{version}' is not a valid metadata version; supported versions are "
        f"1.0, 1.1, 1.2, 2.1, 2.2, 2.3, 2.4, 2.5{SPEC_HINT}"
    )


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"])
def test_supported_metadata_versions_are_accepted(version):
    assert parse({"Metadata-Version": version}).metadata_version == version


def test_metadata_version_unknown_to_packaging_is_validated_as_the_newest_it_knows(monkeypatch):
    monkeypatch.setattr(metadata_module, "_packaging_knows", lambda version: version != "2.5")
    metadata = parse({"Metadata-Version": "2.5", "Import-Name": "example"})
    assert metadata.metadata_version == "2.5"
    assert metadata.import_names is None


def test_invalid_version_is_refused():
    message = rejected_fields({}, version="not a version")
    assert message.startswith("'not a version' is invalid for 'version'")
    assert message.endswith(SPEC_HINT)


def test_invalid_name_is_refused():
    assert rejected_fields({}, name="-bad-").startswith("'-bad-' is invalid for 'name'")


def test_name_errors_are_reported_before_other_fields():
    message = rejected_fields({"Requires-Dist": "not valid ((("}, name="-bad-")
    assert message.startswith("'-bad-' is invalid for 'name'")


def test_invalid_requirement_names_the_requirement_and_parser_complaint():
    message = rejected_fields({"Requires-Dist": "requests >>= 2"})
    assert message.startswith("'requests >>= 2' is invalid for 'requires-dist': Expected")
    assert "\n" not in message


def test_repeated_single_use_field_is_refused_as_invalid_data():
    data = b"Metadata-Version: 2.4\nName: example\nVersion: 1.0\nSummary: a\nSummary: b\n"
    assert rejected(data) == (
        f"'summary' has invalid data: it appears 2 times but may appear only once{SPEC_HINT}"
    )


def test_repeated_name_is_reported_first():
    data = b"Metadata-Version: 2.4\nName: a\nName: b\nVersion: 1.0\nSummary: a\nSummary: b\n"
    assert rejected(data).startswith("'name' has invalid data: it appears 2 times")


def test_field_that_is_not_utf8_is_refused_as_invalid_data():
    data = b"Metadata-Version: 2.4\nName: example\nVersion: 1.0\nAuthor: \xff\xfe\n"
    assert rejected(data) == f"'author' has invalid data: it is not valid UTF-8{SPEC_HINT}"


def test_description_in_header_and_body_is_refused():
    data = b"Metadata-Version: 2.4\nName: example\nVersion: 1.0\nDescription: one\n\ntwo\n"
    assert rejected(data) == (
        "'description' has invalid data: it is given both as a header and as the message "
        f"body{SPEC_HINT}"
    )


def test_duplicate_project_url_labels_are_refused():
    message = rejected_fields(
        {"Project-URL": ["Docs, https://a.example", "Docs, https://b.example"]}
    )
    assert message == (
        f"'project-url' has invalid data: two Project-URL entries have the same label{SPEC_HINT}"
    )


def test_unknown_fields_are_ignored():
    metadata = parse({"X-Custom-Field": "anything"})
    assert metadata.name == "example"


def test_field_newer_than_the_metadata_version_is_refused():
    message = rejected_fields({"Metadata-Version": "2.1", "Dynamic": "summary"})
    assert message == f"dynamic introduced in metadata version 2.2, not 2.1{SPEC_HINT}"


def test_license_file_before_metadata_2_4_is_ignored_as_a_setuptools_extension():
    metadata = parse({"Metadata-Version": "2.1", "License-File": "LICENSE"})
    assert metadata.license_files is None


def test_distutils_unknown_placeholders_are_dropped():
    metadata = parse(
        {
            "Metadata-Version": "1.1",
            "Home-page": "UNKNOWN",
            "Author-email": "UNKNOWN",
            "Platform": "UNKNOWN",
            "Description": "UNKNOWN",
        }
    )
    assert metadata.home_page is None
    assert metadata.author_email is None
    assert metadata.platforms is None
    assert metadata.description is None


def test_invalid_description_content_type_is_refused():
    message = rejected_fields({"Description-Content-Type": "text/html"})
    assert message.startswith("'description-content-type' must be one of")


def test_summary_must_be_a_single_line():
    data = b"Metadata-Version: 2.4\nName: example\nVersion: 1.0\nSummary: one\n two\n"
    assert rejected(data).startswith("'summary' must be a single line")


# PyPI's own rules ----------------------------------------------------------------------------


def test_local_versions_are_refused_with_the_version_spec_link():
    assert rejected_fields({}, version="1.0+local") == (
        "The use of local versions in '1.0+local' is not allowed. See "
        "https://packaging.python.org/specifications/version-specifiers for more information."
    )


def test_summary_of_512_characters_is_accepted():
    assert len(parse({"Summary": "x" * 512}).summary) == 512


def test_summary_longer_than_512_characters_is_refused():
    assert rejected_fields({"Summary": "x" * 513}) == (
        f"'summary' field must be 512 characters or less (it has 513){SPEC_HINT}"
    )


@pytest.mark.parametrize(
    "value",
    [
        "dev@example.com",
        "Jane Doe <jane@example.com>",
        '"Doe, Jane" <jane@example.com>, bob@example.org',
    ],
)
def test_valid_author_email_lists_are_accepted(value):
    assert parse({"Author-email": value}).author_email == value


@pytest.mark.parametrize("field", ["Author-email", "Maintainer-email"])
def test_invalid_email_address_is_refused(field):
    message = rejected_fields({field: "Jane <jane@localhost>"})
    assert message.startswith(
        f"'jane@localhost' is not a valid email address for '{field.lower()}': "
    )


def test_second_address_in_a_list_is_validated():
    message = rejected_fields({"Author-email": "a@example.com, b@localhost"})
    assert message.startswith("'b@localhost' is not a valid email address for 'author-email'")


@pytest.mark.parametrize("value", ["<>", "a@example.com, broken@"])
def test_unparseable_email_list_is_refused(value):
    assert rejected_fields({"Author-email": value}) == (
        f"{value!r} is not a valid email address list for 'author-email'{SPEC_HINT}"
    )


def test_known_classifier_is_accepted():
    classifier = "License :: OSI Approved :: MIT License"
    assert parse({"Classifier": classifier}).classifiers == [classifier]


def test_unknown_classifier_is_refused():
    assert rejected_fields({"Classifier": "Made Up :: Classifier"}) == (
        f"'Made Up :: Classifier' is not a valid classifier{SPEC_HINT}"
    )


def test_private_classifier_is_refused():
    message = rejected_fields({"Classifier": "Private :: Do Not Upload"})
    assert message.startswith("'Private :: Do Not Upload' is not a valid classifier")


def test_deprecated_classifier_names_its_replacement():
    message = rejected_fields({"Classifier": "Natural Language :: Ukranian"})
    assert message == (
        "The classifier 'Natural Language :: Ukranian' has been deprecated, use one of "
        f"'Natural Language :: Ukrainian' instead{SPEC_HINT}"
    )


def test_deprecated_classifier_without_replacement_is_refused():
    message = rejected_fields(
        {"Classifier": "License :: OSI Approved :: Intel Open Source License"}
    )
    assert message == (
        "The classifier 'License :: OSI Approved :: Intel Open Source License' has been "
        f"deprecated{SPEC_HINT}"
    )


@pytest.mark.parametrize("field", ["Home-page", "Download-URL"])
@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "example.com", "https://"]
)
def test_home_page_and_download_url_must_be_http_urls(field, url):
    assert rejected_fields({field: url}) == (
        f"{url!r} is not a valid URL for '{field.lower()}'{SPEC_HINT}"
    )


@pytest.mark.parametrize(
    "url", ["https://example.com", "http://example.com:8080/a?b#c", "https://[::1]/x"]
)
def test_is_valid_url_accepts_http_urls(url):
    assert is_valid_url(url)


@pytest.mark.parametrize(
    "url", ["https://exa mple.com", "https://example.com:99999", "https://example.com/\x00", ""]
)
def test_is_valid_url_refuses_malformed_urls(url):
    assert not is_valid_url(url)


def test_project_urls_are_accepted():
    metadata = parse({"Project-URL": ["Source, https://example.com/src", "Docs, https://d.org"]})
    assert metadata.project_urls == {"Source": "https://example.com/src", "Docs": "https://d.org"}


def test_project_url_needs_a_label():
    assert rejected_fields({"Project-URL": ", https://example.com"}) == (
        f"'project-url' must have a label ('https://example.com'){SPEC_HINT}"
    )


def test_project_url_label_of_33_characters_is_refused():
    label = "L" * 33
    assert rejected_fields({"Project-URL": f"{label}, https://example.com"}) == (
        f"'project-url' label '{label}' must be 32 characters or less{SPEC_HINT}"
    )


def test_project_url_needs_a_url():
    assert rejected_fields({"Project-URL": "Docs"}) == (
        f"'project-url' 'Docs' must have a URL{SPEC_HINT}"
    )


def test_project_url_must_be_http():
    assert rejected_fields({"Project-URL": "Docs, file:///etc/passwd"}) == (
        f"'file:///etc/passwd' is not a valid URL for 'project-url' 'Docs'{SPEC_HINT}"
    )


def test_requires_dist_direct_url_is_refused():
    message = rejected_fields({"Requires-Dist": "foo @ https://example.com/foo.whl"})
    assert message == (
        f"Can't have direct dependency: 'foo @ https://example.com/foo.whl'{SPEC_HINT}"
    )


@pytest.mark.parametrize("field", ["Provides-Dist", "Obsoletes-Dist"])
def test_provides_and_obsoletes_dist_direct_url_is_refused(field):
    message = rejected_fields({field: "foo @ https://example.com/foo.whl"})
    assert message == (
        f"Can't have direct dependency: 'foo @ https://example.com/foo.whl' in "
        f"'{field.lower()}'{SPEC_HINT}"
    )


@pytest.mark.parametrize("field", ["Provides-Dist", "Obsoletes-Dist"])
def test_provides_and_obsoletes_dist_must_parse(field):
    message = rejected_fields({field: "foo (((("})
    assert message.startswith(f"'foo ((((' is invalid for '{field.lower()}': ")


def test_allowed_dynamic_fields_are_accepted():
    assert parse({"Dynamic": ["Summary", "Requires-Dist"]}).dynamic == ["summary", "requires-dist"]


@pytest.mark.parametrize("field", ["Version", "Name"])
def test_identity_fields_cannot_be_dynamic(field):
    message = rejected_fields({"Dynamic": field})
    assert message == f"'{field.lower()}' is not allowed as a dynamic field{SPEC_HINT}"


def test_dynamic_cannot_name_itself():
    message = rejected_fields({"Dynamic": "Dynamic"})
    assert message == f"'dynamic' is not allowed as a dynamic field{SPEC_HINT}"


def test_unknown_dynamic_field_is_refused():
    message = rejected_fields({"Dynamic": "Favourite-Colour"})
    assert message == f"'favourite-colour' is not a valid dynamic field{SPEC_HINT}"


def test_license_and_license_expression_are_mutually_exclusive():
    message = rejected_fields({"License": "MIT", "License-Expression": "MIT"})
    assert message == (
        "'license' and 'license-expression' are mutually exclusive; keep only "
        f"'license-expression' (PEP 639){SPEC_HINT}"
    )


def test_invalid_license_expression_is_refused():
    message = rejected_fields({"License-Expression": "MIT OR"})
    assert message.startswith("'MIT OR' is invalid for 'license-expression'")


# Form agreement ------------------------------------------------------------------------------


def test_form_agrees_when_name_and_version_match_canonically():
    check_form_agrees(parse(name="Foo.Bar", version="1.0.0"), "foo-bar", "1.0")


def test_form_with_another_name_is_refused_naming_both():
    with pytest.raises(UploadRejected) as excinfo:
        check_form_agrees(parse(name="foo-bar"), "foo-baz", "1.0")
    assert excinfo.value.message == (
        "The name 'foo-baz' in the upload form does not match the name 'foo-bar' in the "
        "distribution's metadata."
    )


@pytest.mark.parametrize("form_version", ["1.1", "not-a-version", ""])
def test_form_with_another_version_is_refused_naming_both(form_version):
    with pytest.raises(UploadRejected) as excinfo:
        check_form_agrees(parse(version="1.0"), "example", form_version)
    assert excinfo.value.message == (
        f"The version '{form_version}' in the upload form does not match the version '1.0' in "
        "the distribution's metadata."
    )


# Description rendering -----------------------------------------------------------------------

BROKEN_RST = "Title\n=====\n\n.. no-such-directive::\n"


def test_valid_rst_description_renders_to_the_html_the_page_shows():
    html = rendered_description(parse({"Description": "Title\n=====\n\nText *here*.\n"}))
    assert "<em>here</em>" in html


def test_broken_rst_in_the_default_format_is_refused():
    with pytest.raises(UploadRejected) as excinfo:
        rendered_description(parse({"Description": BROKEN_RST}))
    assert excinfo.value.message == (
        "The description failed to render in the default format of reStructuredText."
    )


def test_broken_declared_rst_names_the_content_type():
    metadata = parse({"Description": BROKEN_RST, "Description-Content-Type": "text/x-rst"})
    with pytest.raises(UploadRejected) as excinfo:
        rendered_description(metadata)
    assert excinfo.value.message == "The description failed to render for 'text/x-rst'."


@pytest.mark.parametrize(
    "content_type",
    ["text/markdown", "text/markdown; variant=CommonMark", "text/plain; charset=UTF-8"],
)
def test_markdown_and_plain_descriptions_render(content_type):
    rendered_description(
        parse({"Description": BROKEN_RST, "Description-Content-Type": content_type})
    )


def test_missing_description_needs_no_rendering():
    assert rendered_description(parse()) == ""


# Release fields ------------------------------------------------------------------------------


def test_release_fields_map_every_field_to_json_values():
    metadata = parse(
        {
            "Summary": "Short",
            "Description": "Long",
            "Description-Content-Type": "text/markdown",
            "Keywords": "one, two,three",
            "License-Expression": "mit",
            "License-File": "LICENSE",
            "Classifier": ["Programming Language :: Python :: 3"],
            "Platform": "any",
            "Author": "Jane",
            "Author-email": "jane@example.com",
            "Maintainer": "Bob",
            "Maintainer-email": "bob@example.com",
            "Home-page": "https://example.com",
            "Download-URL": "https://example.com/dl",
            "Project-URL": "Source, https://example.com/src",
            "Requires-Python": ">=3.9",
            "Requires-Dist": ["requests (>=2)", "rich; extra == 'fancy'"],
            "Provides-Extra": "Fancy",
            "Requires-External": "libxml2",
            "Provides-Dist": "example-compat",
            "Obsoletes-Dist": "old-example",
            "Dynamic": "Platform",
        },
        version="2.0rc1",
    )
    fields = release_fields(metadata)
    assert fields == {
        "version": "2.0rc1",
        "canonical_version": "2rc1",
        "is_prerelease": True,
        "metadata_version": "2.4",
        "summary": "Short",
        "description": "Long",
        "description_content_type": "text/markdown",
        "description_html": "",
        "keywords": "one, two, three",
        "license": "",
        "license_expression": "MIT",
        "license_files": ["LICENSE"],
        "classifiers": ["Programming Language :: Python :: 3"],
        "platforms": ["any"],
        "author": "Jane",
        "author_email": "jane@example.com",
        "maintainer": "Bob",
        "maintainer_email": "bob@example.com",
        "home_page": "https://example.com",
        "download_url": "https://example.com/dl",
        "project_urls": {"Source": "https://example.com/src"},
        "requires_python": ">=3.9",
        "requires_dist": ["requests>=2", 'rich; extra == "fancy"'],
        "provides_extra": ["fancy"],
        "requires_external": ["libxml2"],
        "provides_dist": ["example-compat"],
        "obsoletes_dist": ["old-example"],
        "dynamic": ["platform"],
    }
    json.dumps(fields)


def test_release_fields_use_empty_values_for_absent_fields():
    fields = release_fields(parse())
    assert fields["summary"] == ""
    assert fields["requires_python"] == ""
    assert fields["project_urls"] == {}
    assert fields["requires_dist"] == []
    assert fields["is_prerelease"] is False
    assert None not in fields.values()


def test_a_description_that_rendered_is_not_rendered_again(settings):
    good = parse_metadata(
        core_metadata("remembered", "1.0", {"Description": "Fine\n====\n\nunique 7f3a\n"})
    )
    first = rendered_description(good)
    # A second rendering could not finish in no time: the first one's HTML is reused.
    settings.CHEESESHOP_DESCRIPTION_RENDER_TIMEOUT = 0
    assert rendered_description(good) == first
    assert "<h1>Fine</h1>" not in first
    assert "unique 7f3a" in first


def test_a_description_that_failed_is_refused_every_time():
    bad = parse_metadata(
        core_metadata(
            "refused",
            "1.0",
            {"Description-Content-Type": "text/x-rst", "Description": "Bad\n===\n\n.. x::"},
        )
    )
    for _attempt in range(2):
        with pytest.raises(UploadRejected, match="failed to render"):
            rendered_description(bad)


# Characters (cheeseshop.inputs) ---------------------------------------------------------------

# Every field a distribution's metadata may hold, with a value that is otherwise valid.
VALID_FIELDS = {
    "Summary": "A summary",
    "Description": "A description",
    "Description-Content-Type": "text/plain",
    "Keywords": "cheese,shop",
    "Home-page": "https://example.org/",
    "Download-URL": "https://example.org/download",
    "Author": "Alice",
    "Author-email": "alice@example.org",
    "Maintainer": "Bob",
    "Maintainer-email": "bob@example.org",
    "License-Expression": "MIT",
    "Classifier": "Programming Language :: Python",
    "Requires-Dist": "requests",
    "Requires-Python": ">=3.10",
    "Requires-External": "libcheese",
    "Project-URL": "Source, https://example.org/source",
    "Provides-Extra": "cli",
    "Platform": "any",
    "Supported-Platform": "linux",
    "Provides-Dist": "example",
    "Obsoletes-Dist": "old-example",
    "Dynamic": "Keywords",
}


def _with(field: str, value: str) -> dict:
    return {field: value} | ({"Dynamic": None} if field == "Dynamic" else {})


@pytest.mark.parametrize("field", VALID_FIELDS)
def test_every_field_is_valid_as_written_here(field):
    parse({field: VALID_FIELDS[field]})


# Fields of several lines: NUL is refused there, other control characters are not.
MULTILINE_FIELDS = {"Description", "Keywords", "Author", "Maintainer", "Author-email"} | {
    "Maintainer-email"
}


def _inserted(field: str, character: str) -> dict:
    value = VALID_FIELDS[field]
    return {field: value[:1] + character + value[1:]}


@pytest.mark.parametrize("field", VALID_FIELDS)
def test_a_nul_in_any_metadata_field_is_refused(field):
    message = rejected_fields(_inserted(field, "\x00"))
    assert "contains a NUL character (U+0000), which is not allowed." in message


@pytest.mark.parametrize("field", sorted(set(VALID_FIELDS) - MULTILINE_FIELDS))
@pytest.mark.parametrize(
    ("character", "named"),
    [("\x1b", "a control character (U+001B)"), ("\x7f", "a control character (U+007F)")],
)
def test_a_control_character_in_any_one_line_metadata_field_is_refused(field, character, named):
    message = rejected_fields(_inserted(field, character))
    assert f"contains {named}, which is not allowed." in message


@pytest.mark.parametrize("field", ["Description", "Keywords", "Author", "Maintainer"])
def test_control_characters_but_nul_are_kept_in_text_of_several_lines(field):
    parse(_inserted(field, "\x1b[1m\x0c"))


@pytest.mark.parametrize("field", ["Name", "Version", "Metadata-Version"])
def test_a_nul_in_the_fields_that_identify_the_distribution_is_refused(field):
    values = {"Name": "exam\x00ple", "Version": "1.\x000", "Metadata-Version": "2\x00.4"}
    message = rejected(core_metadata("example", "1.0", {field: values[field]}))
    assert "contains a NUL character (U+0000), which is not allowed." in message


@pytest.mark.parametrize("field", ["Author", "Maintainer", "License", "Keywords", "Description"])
def test_folded_lines_and_tabs_are_kept_where_a_field_may_hold_them(field):
    parse({field: "one\n two\tthree"}, version="1.0")


def test_a_summary_of_two_lines_is_refused_by_packaging_as_before():
    assert rejected_fields({"Summary": "one\n two"}).startswith("'summary' must be a single line")


@pytest.mark.parametrize("field", ["Requires-Python", "Platform", "Description-Content-Type"])
def test_a_line_break_in_a_one_line_field_is_refused(field):
    message = rejected_fields({field: "text/plain\n more"})
    assert "contains a control character (U+000A)" in message


# Size limits (F9): every field bounded before the costly checks read it -----------------------

LONG = 8 * 1024 + 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"Author": "a" * LONG}, "author"),
        ({"Maintainer": "a" * LONG}, "maintainer"),
        ({"Keywords": "a" * LONG}, "keywords"),
        ({"Home-Page": "https://example.org/" + "a" * LONG}, "home-page"),
        ({"Requires-Dist": "a" + "[x]" * 3000}, "requires-dist"),
        ({"Requires-External": "a" * LONG}, "requires-external"),
        ({"Platform": "a" * LONG}, "platform"),
        ({"Project-URL": "Home, https://example.org/" + "a" * LONG}, "project-url"),
        ({"Description-Content-Type": "text/plain; x=" + "a" * LONG}, "description-content-type"),
        ({"Metadata-Version": "2.4" + " " * LONG + "x"}, "metadata-version"),
        ({"License": "a" * (64 * 1024 + 1)}, "license"),
    ],
)
def test_a_field_longer_than_its_limit_is_refused_naming_the_field(fields, field):
    assert rejected_fields(fields).startswith(f"'{field}' has a value of ")


@pytest.mark.parametrize(
    ("fields", "field", "limit"),
    [
        ({"Keywords": ",".join(["k"] * 257)}, "keywords", 256),
        ({"Classifier": ["Framework :: Django"] * 513}, "classifier", 512),
        (
            {"Project-URL": [f"u{i}, https://example.org/{i}" for i in range(129)]},
            "project-url",
            128,
        ),
        ({"Requires-Dist": [f"dep{i}" for i in range(1025)]}, "requires-dist", 1024),
        ({"Provides-Extra": [f"extra{i}" for i in range(1025)]}, "provides-extra", 1024),
        ({"Platform": ["any"] * 1025}, "platform", 1024),
        ({"Dynamic": ["Author"] * 1025}, "dynamic", 1024),
    ],
)
def test_a_field_with_more_entries_than_its_limit_is_refused(fields, field, limit):
    message = rejected_fields(fields)
    assert message.startswith(f"'{field}' has {limit + 1} entries; at most {limit} are allowed")


@pytest.mark.parametrize(
    "fields",
    [
        {"Keywords": ",".join(["k"] * 256)},
        {"Classifier": ["Framework :: Django"] * 512},
        {"Requires-Dist": [f"dep{i}" for i in range(1024)]},
        {"Author": "a" * (8 * 1024)},
        {"License": "a" * (64 * 1024)},
    ],
)
def test_fields_at_their_limits_are_accepted(fields):
    parse(fields)


def test_metadata_larger_than_the_setting_is_refused_before_it_is_parsed(settings):
    settings.CHEESESHOP_MAX_METADATA_SIZE = 1000
    message = rejected_fields({"Description": "x" * 1000})
    assert message.startswith("The core metadata is ")
    assert "at most 1000 bytes are allowed" in message


def test_metadata_within_the_setting_is_accepted(settings):
    settings.CHEESESHOP_MAX_METADATA_SIZE = 2000
    assert parse({"Description": "x" * 1000}).description == "x" * 1000


def test_two_million_keywords_are_refused_quickly(settings):
    settings.CHEESESHOP_MAX_METADATA_SIZE = 16 * 1024 * 1024
    message = rejected_fields({"Keywords": ",".join(["k"] * 2_500_000)})
    assert message.startswith("'keywords' has 2500000 entries")
