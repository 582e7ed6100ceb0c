"""Distribution filename rules (PyPI rules 25-27, 40-42 and 44-48).

The character and extension checks run before the file is read; the name and version checks run
once the core metadata has been read from the artifact.
"""

import re

from django.utils.translation import gettext as _
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from cheeseshop.packaging.errors import UploadRejected

# File.filename and FilenameRegistry.filename hold at most this many characters.
MAX_FILENAME_LENGTH = 255

SDIST = "sdist"
WHEEL = "bdist_wheel"

# .zip passes here (PyPI's observable behaviour) and is refused by the PEP 625 filename rule.
_EXTENSIONS_BY_FILETYPE = {SDIST: (".tar.gz", ".zip"), WHEEL: (".whl",)}

_INVALID_EXTENSION_HINT = (
    "Use .tar.gz for source distributions and .whl for wheels. See "
    "https://peps.python.org/pep-0527/ and https://peps.python.org/pep-0715/ for more "
    "information."
)


def validate_filename_characters(filename: str) -> None:
    """Rules 25-26, plus a length limit: what any stored filename must satisfy."""
    if not filename:
        raise UploadRejected(_("The uploaded file has no filename."))
    if any(ord(char) < 32 or ord(char) == 127 for char in filename):
        raise UploadRejected(
            _(
                "Cannot upload a file with non-printable characters (ordinals 0-31) or the "
                "DEL character (ordinal 127) in the name."
            )
        )
    if "/" in filename or "\\" in filename:
        raise UploadRejected(_("Cannot upload a file with '/' or '\\' in the name."))
    if len(filename) > MAX_FILENAME_LENGTH:
        raise UploadRejected(
            _("Filename is too long: %(length)d characters, the limit is %(limit)d.")
            % {"length": len(filename), "limit": MAX_FILENAME_LENGTH}
        )


def validate_extension(filename: str, filetype: str) -> None:
    """Rule 27: a known extension that agrees with the declared file type."""
    if filetype not in _EXTENSIONS_BY_FILETYPE:
        raise UploadRejected(_("Unknown type of file: '%(filetype)s'.") % {"filetype": filetype})
    lowered = filename.lower()
    known = [ext for exts in _EXTENSIONS_BY_FILETYPE.values() for ext in exts]
    if not any(lowered.endswith(ext) for ext in known):
        raise UploadRejected(
            _("Invalid file extension: %(hint)s") % {"hint": _INVALID_EXTENSION_HINT}
        )
    if not lowered.endswith(_EXTENSIONS_BY_FILETYPE[filetype]):
        raise UploadRejected(
            _(
                "Invalid file extension: '%(filename)s' is not a valid filename for a "
                "'%(filetype)s' upload. %(hint)s"
            )
            % {"filename": filename, "filetype": filetype, "hint": _INVALID_EXTENSION_HINT}
        )


def _filename_name(normalized_name: str) -> str:
    """How PEP 625/427 filenames spell a project name: normalised, '-' written as '_'."""
    return normalized_name.replace("-", "_")


def _start_filename_error(project_normalized_name: str) -> UploadRejected:
    return UploadRejected(
        _("Start filename for '%(project)s' with '%(prefix)s'.")
        % {"project": project_normalized_name, "prefix": _filename_name(project_normalized_name)}
    )


def validate_sdist_filename(
    filename: str, project_normalized_name: str, version: str | Version
) -> None:
    """Rules 40-42 (PEP 625): exactly `<normalized_name>-<version>.tar.gz`."""
    try:
        parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        raise UploadRejected(
            _("Invalid source distribution filename: %(filename)s") % {"filename": filename}
        ) from None
    # Compared on the canonical form of the whole stem, so that a legacy post-release with a
    # hyphen ("foo-1.0-1.tar.gz") is not mistaken for a project called "foo-1.0".
    stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
    if not canonicalize_name(stem).startswith(project_normalized_name + "-"):
        raise _start_filename_error(project_normalized_name)
    expected = f"{_filename_name(project_normalized_name)}-{Version(str(version))}.tar.gz"
    if filename != expected:
        raise UploadRejected(
            _("Filename '%(filename)s' is invalid, should be '%(expected)s'.")
            % {"filename": filename, "expected": expected}
        )


def validate_wheel_filename(
    filename: str, project_normalized_name: str, version: str | Version
) -> None:
    """Rules 44-48: a parseable wheel filename with allowed platform tags, naming this release."""
    try:
        name, filename_version, _build, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion) as exc:
        raise UploadRejected(str(exc)) from None
    for platform in sorted({tag.platform for tag in tags}):
        if not is_valid_platform_tag(platform):
            raise UploadRejected(
                _("Binary wheel '%(filename)s' has an unsupported platform tag '%(tag)s'.")
                % {"filename": filename, "tag": platform}
            )
    if name != project_normalized_name:
        raise _start_filename_error(project_normalized_name)
    raw_name = filename.partition("-")[0]
    expected_name = _filename_name(project_normalized_name)
    if raw_name != expected_name:
        raise UploadRejected(
            _(
                "Filename '%(filename)s' should contain the normalized project name "
                "'%(expected)s', not '%(actual)s'."
            )
            % {"filename": filename, "expected": expected_name, "actual": raw_name}
        )
    release_version = Version(str(version))
    if filename_version != release_version:
        raise UploadRejected(
            _("Version in filename should be '%(expected)s' not '%(actual)s'.")
            % {"expected": release_version, "actual": filename_version}
        )


# Rule 45: platform tags PyPI accepts. Anything else (e.g. plain "linux_x86_64") is refused
# because installers could not tell which systems the binary runs on.
_STATIC_PLATFORM_TAGS = frozenset(
    {
        "any",
        "win32",
        "win_amd64",
        "win_arm64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    }
)
_MACOS_ARCHES = "ppc|ppc64|i386|x86_64|arm64|intel|fat|fat3|fat64|universal|universal2"
_MANYLINUX_ARCHES = "x86_64|i686|aarch64|armv7l|ppc64|ppc64le|s390x|riscv64"
_MUSLLINUX_ARCHES = "x86_64|i686|aarch64|armv7l|ppc64le|s390x|riscv64"
_PLATFORM_TAG_PATTERNS = (
    re.compile(rf"macosx_10_\d+_(?:{_MACOS_ARCHES})"),
    re.compile(rf"macosx_(?:11|12|13|14|15|26)_0_(?:{_MACOS_ARCHES})"),
    re.compile(rf"manylinux_\d+_\d+_(?:{_MANYLINUX_ARCHES})"),
    re.compile(rf"musllinux_\d+_\d+_(?:{_MUSLLINUX_ARCHES})"),
    re.compile(r"ios_\d+_\d+_(?:arm64|x86_64)_(?:iphoneos|iphonesimulator)"),
    re.compile(r"android_\d+_(?:armeabi_v7a|arm64_v8a|x86|x86_64)"),
    re.compile(r"pyemscripten_\d+_\d+_wasm32"),
)


def is_valid_platform_tag(tag: str) -> bool:
    if tag in _STATIC_PLATFORM_TAGS:
        return True
    # fullmatch with ASCII digits only: "\d" would accept other scripts' digits.
    return tag.isascii() and any(pattern.fullmatch(tag) for pattern in _PLATFORM_TAG_PATTERNS)
