import pytest

from cheeseshop.packaging.errors import UploadRejected
from cheeseshop.packaging.filenames import (
    is_valid_platform_tag,
    validate_extension,
    validate_filename_characters,
    validate_sdist_filename,
    validate_wheel_filename,
)


def rejection(function, *args) -> UploadRejected:
    with pytest.raises(UploadRejected) as excinfo:
        function(*args)
    return excinfo.value


# Rules 25-26 and length ----------------------------------------------------------------------


def test_filename_characters_accept_an_ordinary_name():
    validate_filename_characters("example-1.0-py3-none-any.whl")


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\n", "\x7f"])
def test_filename_characters_refuse_control_characters_and_del(char):
    error = rejection(validate_filename_characters, f"example{char}-1.0.tar.gz")
    assert error.message == (
        "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL "
        "character (ordinal 127) in the name."
    )


@pytest.mark.parametrize("filename", ["../example-1.0.tar.gz", "dir\\example-1.0.tar.gz"])
def test_filename_characters_refuse_path_separators(filename):
    error = rejection(validate_filename_characters, filename)
    assert error.message == "Cannot upload a file with '/' or '\\' in the name."


def test_filename_characters_refuse_names_longer_than_the_column():
    error = rejection(validate_filename_characters, "a" * 250 + ".tar.gz")
    assert error.message == "Filename is too long: 257 characters, the limit is 255."


def test_filename_characters_refuse_an_empty_name():
    assert rejection(validate_filename_characters, "").message == (
        "The uploaded file has no filename."
    )


# Rule 27 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "filetype"),
    [
        ("example-1.0.tar.gz", "sdist"),
        ("example-1.0.zip", "sdist"),  # refused later by the PEP 625 filename rule
        ("example-1.0-py3-none-any.whl", "bdist_wheel"),
    ],
)
def test_extension_accepts_known_extensions_for_their_filetype(filename, filetype):
    validate_extension(filename, filetype)


@pytest.mark.parametrize("filename", ["example-1.0.egg", "example-1.0.exe", "example-1.0.tar.bz2"])
def test_extension_refuses_unknown_extensions(filename):
    error = rejection(validate_extension, filename, "sdist")
    assert error.message.startswith("Invalid file extension: Use .tar.gz for source")
    assert "pep-0527" in error.message


def test_extension_refuses_a_wheel_uploaded_as_sdist():
    error = rejection(validate_extension, "example-1.0-py3-none-any.whl", "sdist")
    assert error.message.startswith(
        "Invalid file extension: 'example-1.0-py3-none-any.whl' is not a valid filename for a "
        "'sdist' upload."
    )


def test_extension_refuses_an_sdist_uploaded_as_wheel():
    error = rejection(validate_extension, "example-1.0.tar.gz", "bdist_wheel")
    assert "not a valid filename for a 'bdist_wheel' upload" in error.message


def test_extension_refuses_unknown_filetype():
    error = rejection(validate_extension, "example-1.0.egg", "bdist_egg")
    assert error.message == "Unknown type of file: 'bdist_egg'."


# Rules 40-42 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "project", "version"),
    [
        ("example-1.0.tar.gz", "example", "1.0"),
        ("foo_bar-2.0rc1.tar.gz", "foo-bar", "2.0rc1"),
        ("foo_bar-2.0rc1.tar.gz", "foo-bar", "2.0.RC1"),  # version compared normalised
    ],
)
def test_sdist_filename_accepts_pep_625_names(filename, project, version):
    validate_sdist_filename(filename, project, version)


@pytest.mark.parametrize(
    "filename", ["example.tar.gz", "example-notaversion.tar.gz", "-1.0.tar.gz"]
)
def test_sdist_filename_refuses_unparseable_names(filename):
    error = rejection(validate_sdist_filename, filename, "example", "1.0")
    assert error.message == f"Invalid source distribution filename: {filename}"


def test_sdist_filename_refuses_another_projects_name():
    error = rejection(validate_sdist_filename, "other-1.0.tar.gz", "foo-bar", "1.0")
    assert error.message == "Start filename for 'foo-bar' with 'foo_bar'."


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("Foo-Bar-1.0.tar.gz", "foo_bar-1.0.tar.gz"),  # not normalised
        ("foo_bar-1.0.zip", "foo_bar-1.0.tar.gz"),  # PEP 625: .tar.gz only
        ("foo_bar-1.00.tar.gz", "foo_bar-1.0.tar.gz"),  # version not normalised
        ("foo_bar-1.0-1.tar.gz", "foo_bar-1.0.post1.tar.gz"),  # legacy hyphenated post release
    ],
)
def test_sdist_filename_must_be_exactly_the_normalised_name(filename, expected):
    version = "1.0.post1" if "-1.0-1" in filename else "1.0"
    error = rejection(validate_sdist_filename, filename, "foo-bar", version)
    assert error.message == f"Filename '{filename}' is invalid, should be '{expected}'."


# Rules 44-48 ---------------------------------------------------------------------------------


def test_wheel_filename_accepts_a_matching_wheel():
    validate_wheel_filename(
        "foo_bar-1.0-1-cp312-cp312-manylinux_2_28_x86_64.whl", "foo-bar", "1.0"
    )


@pytest.mark.parametrize(
    "filename", ["foo_bar-1.0.whl", "foo_bar-1.0-py3-none.whl", "foo_bar-x.y-py3-none-any.whl"]
)
def test_wheel_filename_refuses_unparseable_names_with_packagings_message(filename):
    error = rejection(validate_wheel_filename, filename, "foo-bar", "1.0")
    assert error.message.startswith("Invalid wheel filename")
    assert repr(filename.removesuffix(".whl")) in error.message


def test_wheel_filename_refuses_unsupported_platform_tag():
    filename = "foo_bar-1.0-cp312-cp312-linux_x86_64.whl"
    error = rejection(validate_wheel_filename, filename, "foo-bar", "1.0")
    assert error.message == (
        f"Binary wheel '{filename}' has an unsupported platform tag 'linux_x86_64'."
    )


def test_wheel_filename_refuses_another_projects_name():
    error = rejection(validate_wheel_filename, "other-1.0-py3-none-any.whl", "foo-bar", "1.0")
    assert error.message == "Start filename for 'foo-bar' with 'foo_bar'."


def test_wheel_filename_refuses_a_non_normalised_name():
    filename = "Foo_Bar-1.0-py3-none-any.whl"
    error = rejection(validate_wheel_filename, filename, "foo-bar", "1.0")
    assert error.message == (
        f"Filename '{filename}' should contain the normalized project name 'foo_bar', "
        "not 'Foo_Bar'."
    )


def test_wheel_filename_refuses_another_version():
    error = rejection(validate_wheel_filename, "foo_bar-1.1-py3-none-any.whl", "foo-bar", "1.0")
    assert error.message == "Version in filename should be '1.0' not '1.1'."


@pytest.mark.parametrize(
    "tag",
    [
        "any",
        "win32",
        "win_amd64",
        "win_arm64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux2010_i686",
        "manylinux2014_aarch64",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
        "macosx_10_9_x86_64",
        "macosx_10_15_universal2",
        "macosx_11_0_arm64",
        "macosx_26_0_arm64",
        "macosx_14_0_fat64",
        "manylinux_2_17_x86_64",
        "manylinux_2_39_riscv64",
        "manylinux_2_28_ppc64",
        "musllinux_1_2_aarch64",
        "musllinux_1_1_riscv64",
        "ios_13_0_arm64_iphoneos",
        "ios_17_2_x86_64_iphonesimulator",
        "android_21_arm64_v8a",
        "android_24_armeabi_v7a",
        "pyemscripten_2025_0_wasm32",
    ],
)
def test_platform_tag_allowed(tag):
    assert is_valid_platform_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "linux_x86_64",
        "linux_i686",
        "macosx_11_1_arm64",
        "macosx_10_9_sparc",
        "macosx_27_0_arm64",
        "manylinux2014_riscv64",
        "manylinux_2_17_sparc",
        "musllinux_1_2_ppc64",
        "ios_13_0_arm64_watchos",
        "android_21_mips",
        "pyemscripten_2025_0_wasm64",
        "manylinux_\uff12_17_x86_64",  # fullwidth digit two
        "win_amd64 ",
        "",
    ],
)
def test_platform_tag_refused(tag):
    assert not is_valid_platform_tag(tag)
