"""The legacy upload form, as twine and uv publish send it, parsed into one typed value.

Only the fields that identify and check the file are taken from the form; the release's
metadata is read from the distribution itself (``cheeseshop.packaging.metadata``) and must agree
with the form's name and version.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

from cheeseshop.inputs import Shape, describe_character, unsafe_character
from cheeseshop.packaging.errors import UploadRejected
from cheeseshop.packaging.metadata import MAX_HEADER_LENGTH, MAX_LICENSE_LENGTH
from cheeseshop.packaging.models import PackageType
from cheeseshop.packaging.names import PROJECT_NAME_RE

_HEX64 = re.compile(r"\A[0-9a-f]{64}\Z")
_HEX32 = re.compile(r"\A[0-9a-f]{32}\Z")
_METADATA_HELP = (
    "See https://packaging.python.org/specifications/core-metadata for more information."
)


# The comment is stored with the file and served by the JSON API with every release.
MAX_COMMENT_LENGTH = 2048


def _field_limit(field: str) -> int:
    """Characters one value of ``field`` may have: the form repeats the core metadata (twine
    sends each field), so its limits are the metadata's."""
    if field == "comment":
        return MAX_COMMENT_LENGTH
    if field == "description":
        return settings.CHEESESHOP_MAX_METADATA_SIZE
    if field == "license":
        return MAX_LICENSE_LENGTH
    return MAX_HEADER_LENGTH


def check_field_sizes(data: QueryDict) -> None:
    """Every field of the form within its limit (all of them together are bounded while they
    arrive, by ``CHEESESHOP_MAX_FORM_SIZE``)."""
    for field, values in data.lists():
        limit = _field_limit(field)
        for value in values:
            if len(value) > limit:
                raise UploadRejected(
                    _(
                        "The form field '%(field)s' has %(length)d characters; at most "
                        "%(limit)d are allowed."
                    )
                    % {"field": field[:64], "length": len(value), "limit": limit}
                )


@dataclass(frozen=True)
class UploadForm:
    name: str
    version: str
    metadata_version: str
    filetype: str
    pyversion: str
    md5_digest: str
    sha256_digest: str
    blake2_256_digest: str
    comment: str


# The fields read that may hold several lines; the others are one line each.
_TEXT_FIELDS = frozenset({"comment"})


def form_field(data: QueryDict, key: str) -> str:
    """A single-valued form field; ``UNKNOWN`` (a distutils artefact) counts as absent.
    Raises UploadRejected for a character the index refuses (``cheeseshop.inputs``)."""
    value = data.get(key, "")
    shape = Shape.TEXT if key in _TEXT_FIELDS else Shape.LINE
    character = unsafe_character(value, shape)
    if character is not None:
        raise UploadRejected(
            _("The form field '%(field)s' contains %(character)s, which is not allowed.")
            % {"field": key, "character": describe_character(character)}
        )
    value = value.strip()
    return "" if value == "UNKNOWN" else value


def _invalid(value: str, field: str, message: str) -> UploadRejected:
    return UploadRejected(
        _("'%(value)s' is an invalid value for %(field)s. Error: %(message)s %(help)s")
        % {"value": value, "field": field, "message": message, "help": _METADATA_HELP}
    )


def parse_upload_form(data: QueryDict) -> UploadForm:
    """Check the form fields of a ``file_upload`` action, in PyPI's order."""
    protocol_version = form_field(data, "protocol_version") or "1"
    if protocol_version != "1":
        raise UploadRejected(_("Unknown protocol version."))

    metadata_version = form_field(data, "metadata_version")
    if not metadata_version:
        raise _invalid("", "Metadata-Version", _("This field is required."))
    name = form_field(data, "name")
    if not name:
        raise _invalid("", "Name", _("This field is required."))
    if not PROJECT_NAME_RE.match(name):
        raise _invalid(
            name,
            "Name",
            _(
                "Start and end with a letter or numeral containing only ASCII numeric and "
                "'.', '_' and '-'."
            ),
        )
    version = form_field(data, "version")
    if not version:
        raise _invalid("", "Version", _("This field is required."))

    filetype = form_field(data, "filetype")
    if filetype not in PackageType.values:
        raise _invalid(filetype, "filetype", _("Use a known file type."))
    pyversion = form_field(data, "pyversion")
    if filetype == PackageType.SDIST:
        if pyversion and pyversion != "source":
            raise _invalid(
                pyversion, "pyversion", _("Use 'source' as Python version for an sdist.")
            )
        pyversion = "source"
    elif not pyversion:
        raise _invalid(
            "", "pyversion", _("Python version is required for binary distribution uploads.")
        )

    md5, sha256, blake2 = _digests(data)
    return UploadForm(
        name=name,
        version=version,
        metadata_version=metadata_version,
        filetype=filetype,
        pyversion=pyversion,
        md5_digest=md5,
        sha256_digest=sha256,
        blake2_256_digest=blake2,
        comment=form_field(data, "comment"),
    )


def _digests(data: QueryDict) -> tuple[str, str, str]:
    md5 = form_field(data, "md5_digest").lower()
    sha256 = form_field(data, "sha256_digest").lower()
    blake2 = form_field(data, "blake2_256_digest").lower()
    if not (md5 or sha256 or blake2):
        raise _invalid("", "digests", _("Include at least one message digest."))
    if md5 and not _HEX32.match(md5):
        raise _invalid(md5, "md5_digest", _("Must be a valid, hex encoded, MD5 message digest."))
    if sha256 and not _HEX64.match(sha256):
        raise _invalid(
            sha256, "sha256_digest", _("Must be a valid, hex encoded, SHA256 message digest.")
        )
    if blake2 and not _HEX64.match(blake2):
        raise _invalid(
            blake2,
            "blake2_256_digest",
            _("Must be a valid, hex encoded, blake2 message digest."),
        )
    return md5, sha256, blake2
