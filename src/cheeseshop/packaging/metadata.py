"""Core metadata rules (PyPI rules 9 and 21): parse a distribution's PKG-INFO or METADATA.

`packaging.metadata` enforces the core metadata specification; PyPI's own rules are layered on
top. The artifact is the source of truth; the upload form must agree with it.
"""

import email.utils
import functools
import hashlib
import threading
from collections import OrderedDict
from urllib.parse import urlsplit

import email_validator
import trove_classifiers
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from packaging.metadata import InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from cheeseshop.inputs import Shape, describe_character, unsafe_character
from cheeseshop.packaging.descriptions import RenderedDescription, render_description
from cheeseshop.packaging.errors import UploadRejected

SUPPORTED_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")
MAX_SUMMARY_LENGTH = 512
MAX_PROJECT_URL_LABEL_LENGTH = 32

CORE_METADATA_SPEC = "https://packaging.python.org/specifications/core-metadata"
VERSION_SPEC = "https://packaging.python.org/specifications/version-specifiers"

# Fields that appear at most once; every other known field may repeat.
_SINGLE_USE_FIELDS = frozenset(
    {
        "metadata-version",
        "name",
        "version",
        "summary",
        "description",
        "description-content-type",
        "keywords",
        "home-page",
        "download-url",
        "author",
        "author-email",
        "maintainer",
        "maintainer-email",
        "license",
        "license-expression",
        "requires-python",
    }
)
_MULTIPLE_USE_FIELDS = frozenset(
    {
        "platform",
        "supported-platform",
        "classifier",
        "requires-dist",
        "requires-external",
        "provides-extra",
        "provides-dist",
        "obsoletes-dist",
        "project-url",
        "license-file",
        "dynamic",
        "import-name",
        "import-namespace",
        "requires",
        "provides",
        "obsoletes",
    }
)
_KNOWN_FIELDS = _SINGLE_USE_FIELDS | _MULTIPLE_USE_FIELDS
# PEP 643: a field may be declared Dynamic unless it identifies the distribution.
DYNAMIC_FIELDS = _KNOWN_FIELDS - {"metadata-version", "name", "version", "dynamic"}
# Errors about these fields are reported first: the rest depends on them.
_FIELD_PRIORITY = ("metadata-version", "name", "version")

# Fields (by packaging's raw names) of several lines: the description and the license, and those
# old tools folded (a folded header keeps its line breaks). The others are one line each.
_TEXT_FIELDS = frozenset(
    {
        "description",
        "license",
        "author",
        "maintainer",
        "author_email",
        "maintainer_email",
        "keywords",
    }
)
# What one release's metadata may hold. Each value costs the upload (validation), every page
# that shows it and the JSON API; none of these is near what real projects write (the largest
# on PyPI: ~150 classifiers, ~400 Requires-Dist, a few dozen Project-URLs and keywords).
# Any header's value, in characters (the description, in the body, is bounded by the whole).
MAX_HEADER_LENGTH = 8 * 1024
# setuptools wrote the whole licence text into License before PEP 639.
MAX_LICENSE_LENGTH = 64 * 1024
# Entries of a multiple-use field (and keywords, one comma-separated header), by field.
MAX_ENTRIES = 1024
MAX_ENTRIES_BY_FIELD = {
    "keywords": 256,
    "classifier": 512,
    "project-url": 128,
}

# distutils wrote this for any field it had no value for.
_PLACEHOLDER = "UNKNOWN"


def _rejection(message: str, spec: str = CORE_METADATA_SPEC) -> UploadRejected:
    return UploadRejected(
        _("%(error)s. See %(spec)s for more information.")
        % {"error": message.rstrip("."), "spec": spec}
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _describe(error: InvalidMetadata) -> str:
    """packaging's message, with the first line of its cause (e.g. the parser's complaint)."""
    message = str(error)
    cause = error.__cause__
    detail = _first_line(str(cause)) if cause is not None else ""
    return f"{message}: {detail}" if detail and detail not in message else message


def _most_important(errors: list[InvalidMetadata]) -> InvalidMetadata:
    def rank(error: InvalidMetadata) -> tuple[int, str]:
        field = error.field.lower()
        position = _FIELD_PRIORITY.index(field) if field in _FIELD_PRIORITY else 99
        return (position, field)

    return min(errors, key=rank)


def _flatten(group: BaseExceptionGroup) -> list[InvalidMetadata]:
    errors = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            errors.extend(_flatten(exc))
        elif isinstance(exc, InvalidMetadata):
            errors.append(exc)
    return errors


def _unparsed_errors(unparsed: dict[str, list]) -> list[InvalidMetadata]:
    """Known fields packaging could not parse. Unknown fields are ignored, as PyPI does."""
    errors = []
    for field, values in unparsed.items():
        if field not in _KNOWN_FIELDS:
            continue
        if field == "description" and len(values) > 1:
            reason = _("it is given both as a header and as the message body")
        elif field in _SINGLE_USE_FIELDS and len(values) > 1:
            reason = _("it appears %(count)d times but may appear only once") % {
                "count": len(values)
            }
        elif field == "project-url":
            reason = _("two Project-URL entries have the same label")
        else:
            reason = _("it is not valid UTF-8")
        message = _("'%(field)s' has invalid data: %(reason)s") % {
            "field": field,
            "reason": reason,
        }
        errors.append(InvalidMetadata(field, message))
    return errors


def _texts(value: str | list[str] | dict[str, str]) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    return list(value)


def _check_characters(raw: RawMetadata) -> None:
    """Every field passes the index's rule on characters (``cheeseshop.inputs``): no NUL nor
    lone surrogate anywhere, and no control character but a tab in a one-line field."""
    for key, value in raw.items():
        shape = Shape.TEXT if key in _TEXT_FIELDS else Shape.LINE
        for text in _texts(value):
            if key == "summary":
                # packaging refuses its line breaks, saying it "must be a single line".
                text = text.replace("\n", " ")  # noqa: PLW2901
            character = unsafe_character(text, shape)
            if character is not None:
                raise _rejection(
                    _("'%(field)s' contains %(character)s, which is not allowed")
                    % {"field": key.replace("_", "-"), "character": describe_character(character)}
                )


def _without_placeholders(raw: RawMetadata) -> RawMetadata:
    cleaned = {}
    for key, value in raw.items():
        if value == _PLACEHOLDER:
            continue
        if isinstance(value, list):
            value = [item for item in value if item != _PLACEHOLDER]  # noqa: PLW2901
            if not value:
                continue
        cleaned[key] = value
    return cleaned


@functools.cache
def _packaging_knows(metadata_version: str) -> bool:
    try:
        Metadata.from_raw({"metadata_version": metadata_version, "name": "a", "version": "1"})
    except ExceptionGroup:
        return False
    return True


# Fields added by metadata versions that an older `packaging` may not know.
_FIELDS_ADDED_IN = {"2.5": ("import_names", "import_namespaces")}


def _as_packaging_knows(raw: RawMetadata, metadata_version: str) -> RawMetadata:
    """An older `packaging` may not know the newest version we accept: validate as the newest
    version it knows, without the fields that version lacks (ignored like unknown fields)."""
    if _packaging_knows(metadata_version):
        return raw
    substitute = [v for v in SUPPORTED_METADATA_VERSIONS if _packaging_knows(v)][-1]
    for added_in, fields in _FIELDS_ADDED_IN.items():
        if Version(substitute) < Version(added_in):
            for field in fields:
                raw.pop(field, None)
    raw["metadata_version"] = substitute
    return raw


def _check_metadata_version(raw: RawMetadata) -> str:
    metadata_version = raw.get("metadata_version")
    if not metadata_version:
        raise _rejection(_("'metadata-version' is a required field"))
    if metadata_version not in SUPPORTED_METADATA_VERSIONS:
        raise _rejection(
            _("%(version)r is not a valid metadata version; supported versions are %(supported)s")
            % {"version": metadata_version, "supported": ", ".join(SUPPORTED_METADATA_VERSIONS)}
        )
    return metadata_version


def _check_total_size(data: bytes) -> None:
    limit = settings.CHEESESHOP_MAX_METADATA_SIZE
    if len(data) > limit:
        raise _rejection(
            _("The core metadata is %(size)d bytes; at most %(limit)d bytes are allowed")
            % {"size": len(data), "limit": limit}
        )


def _header_name(raw_field: str) -> str:
    """The field's name in the metadata file (``requires_dist`` is ``requires-dist``)."""
    return _RAW_TO_HEADER.get(raw_field, raw_field.replace("_", "-"))


# packaging's raw names of the fields whose name differs from the header's.
_RAW_TO_HEADER = {
    "classifiers": "classifier",
    "license_files": "license-file",
    "platforms": "platform",
    "project_urls": "project-url",
    "supported_platforms": "supported-platform",
    "import_names": "import-name",
    "import_namespaces": "import-namespace",
}


def _entries(value) -> list[str]:
    if isinstance(value, dict):  # Project-URL: "label, url"
        return [f"{label}, {url}" for label, url in value.items()]
    if isinstance(value, list):
        return value
    return [value]


def _check_field_sizes(raw: RawMetadata) -> None:
    """Every field within its limits, before the costly checks read them (Requires-Dist)."""
    for raw_field, value in raw.items():
        if raw_field == "description":
            continue
        field = _header_name(raw_field)
        entries = _entries(value)
        if isinstance(value, list | dict):
            _check_entry_count(field, len(entries))
        limit = MAX_LICENSE_LENGTH if field == "license" else MAX_HEADER_LENGTH
        for entry in entries:
            if len(entry) > limit:
                raise _rejection(
                    _(
                        "'%(field)s' has a value of %(length)d characters; at most %(limit)d "
                        "are allowed"
                    )
                    % {"field": field, "length": len(entry), "limit": limit}
                )


def _check_entry_count(field: str, count: int) -> None:
    limit = MAX_ENTRIES_BY_FIELD.get(field, MAX_ENTRIES)
    if count > limit:
        raise _rejection(
            ngettext(
                "'%(field)s' has %(count)d entries; at most %(limit)d is allowed",
                "'%(field)s' has %(count)d entries; at most %(limit)d are allowed",
                limit,
            )
            % {"field": field, "count": count, "limit": limit}
        )


def parse_metadata(data: bytes) -> Metadata:
    """Parse and validate core metadata bytes (PKG-INFO or METADATA, RFC 822 format).

    Returns packaging's `Metadata`; raises `UploadRejected` naming the first problem found.
    """
    _check_total_size(data)
    raw, unparsed = parse_email(data)
    _check_field_sizes(raw)
    raw = _without_placeholders(raw)
    _check_characters(raw)
    errors = _unparsed_errors(unparsed)
    if any(error.field in _FIELD_PRIORITY for error in errors):
        raise _rejection(str(_most_important(errors)))
    metadata_version = _check_metadata_version(raw)
    if Version(metadata_version) < Version("2.4"):
        # Before PEP 639, setuptools wrote License-File as its own extension; it carries no
        # promise then, and refusing it would refuse years of real distributions.
        raw.pop("license_files", None)
    raw = _as_packaging_knows(raw, metadata_version)
    try:
        metadata = Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        errors.extend(_flatten(group))
    if errors:
        raise _rejection(_describe(_most_important(errors)))
    # Report the version the distribution declared, even if packaging validated another.
    metadata.metadata_version = metadata_version
    _check_pypi_rules(metadata)
    return metadata


def _check_pypi_rules(metadata: Metadata) -> None:
    if metadata.version.local:
        raise _rejection(
            _("The use of local versions in '%(version)s' is not allowed")
            % {"version": metadata.version},
            spec=VERSION_SPEC,
        )
    _check_summary(metadata.summary)
    for field, value in (
        ("author-email", metadata.author_email),
        ("maintainer-email", metadata.maintainer_email),
    ):
        if value:
            _check_email_addresses(field, value)
    _check_classifiers(metadata.classifiers or [])
    for field, value in (
        ("home-page", metadata.home_page),
        ("download-url", metadata.download_url),
    ):
        if value and not is_valid_url(value):
            raise _rejection(
                _("%(url)r is not a valid URL for '%(field)s'") % {"url": value, "field": field}
            )
    _check_project_urls(metadata.project_urls or {})
    _check_dependencies(metadata)
    _check_dynamic(metadata.dynamic or [])
    if metadata.license and metadata.license_expression:
        raise _rejection(
            _(
                "'license' and 'license-expression' are mutually exclusive; keep only "
                "'license-expression' (PEP 639)"
            )
        )


def _check_summary(summary: str | None) -> None:
    if summary and len(summary) > MAX_SUMMARY_LENGTH:
        raise _rejection(
            _("'summary' field must be %(limit)d characters or less (it has %(length)d)")
            % {"limit": MAX_SUMMARY_LENGTH, "length": len(summary)}
        )


def _check_email_addresses(field: str, value: str) -> None:
    """The field is an RFC 822 address list: "Name <addr>, other@example.org"."""
    # A malformed list parses to an empty address somewhere.
    addresses = [address for _name, address in email.utils.getaddresses([value])]
    if not all(addresses):
        raise _rejection(
            _("%(value)r is not a valid email address list for '%(field)s'")
            % {"value": value, "field": field}
        )
    for address in addresses:
        try:
            email_validator.validate_email(address, check_deliverability=False)
        except email_validator.EmailNotValidError as exc:
            raise _rejection(
                _("%(address)r is not a valid email address for '%(field)s': %(reason)s")
                % {"address": address, "field": field, "reason": exc}
            ) from None


def _check_classifiers(classifiers: list[str]) -> None:
    for classifier in classifiers:
        if classifier in trove_classifiers.deprecated_classifiers:
            replacements = trove_classifiers.deprecated_classifiers[classifier]
            if replacements:
                raise _rejection(
                    _(
                        "The classifier %(classifier)r has been deprecated, use one of "
                        "%(new)s instead"
                    )
                    % {
                        "classifier": classifier,
                        "new": ", ".join(repr(new) for new in replacements),
                    }
                )
            raise _rejection(
                _("The classifier %(classifier)r has been deprecated") % {"classifier": classifier}
            )
        if classifier not in trove_classifiers.classifiers:
            raise _rejection(
                _("%(classifier)r is not a valid classifier") % {"classifier": classifier}
            )


def is_valid_url(url: str) -> bool:
    """An absolute http(s) URL with a host and no whitespace or control characters."""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(hostname)


def _check_project_urls(project_urls: dict[str, str]) -> None:
    for label, url in project_urls.items():
        if not label:
            raise _rejection(_("'project-url' must have a label (%(url)r)") % {"url": url})
        if len(label) > MAX_PROJECT_URL_LABEL_LENGTH:
            raise _rejection(
                _("'project-url' label %(label)r must be %(limit)d characters or less")
                % {"label": label, "limit": MAX_PROJECT_URL_LABEL_LENGTH}
            )
        if not url:
            raise _rejection(_("'project-url' %(label)r must have a URL") % {"label": label})
        if not is_valid_url(url):
            raise _rejection(
                _("%(url)r is not a valid URL for 'project-url' %(label)r")
                % {"url": url, "label": label}
            )


def _check_dependencies(metadata: Metadata) -> None:
    for requirement in metadata.requires_dist or []:
        if requirement.url is not None:
            raise _rejection(
                _("Can't have direct dependency: '%(requirement)s'") % {"requirement": requirement}
            )
    for field, values in (
        ("provides-dist", metadata.provides_dist),
        ("obsoletes-dist", metadata.obsoletes_dist),
    ):
        for value in values or []:
            try:
                requirement = Requirement(value)
            except InvalidRequirement as exc:
                raise _rejection(
                    _("%(value)r is invalid for '%(field)s': %(reason)s")
                    % {"value": value, "field": field, "reason": _first_line(str(exc))}
                ) from None
            if requirement.url is not None:
                raise _rejection(
                    _("Can't have direct dependency: %(value)r in '%(field)s'")
                    % {"value": value, "field": field}
                )


def _check_dynamic(dynamic: list[str]) -> None:
    for field in dynamic:
        if field.lower() not in DYNAMIC_FIELDS:
            raise _rejection(_("%(field)r is not allowed as a dynamic field") % {"field": field})


def check_form_agrees(metadata: Metadata, form_name: str, form_version: str) -> None:
    """The distribution's metadata is the truth; the upload form must name the same release."""
    if canonicalize_name(form_name) != canonicalize_name(metadata.name):
        raise UploadRejected(
            _(
                "The name '%(form)s' in the upload form does not match the name '%(artifact)s' "
                "in the distribution's metadata."
            )
            % {"form": form_name, "artifact": metadata.name}
        )
    try:
        agrees = Version(form_version) == metadata.version
    except InvalidVersion:
        agrees = False
    if not agrees:
        raise UploadRejected(
            _(
                "The version '%(form)s' in the upload form does not match the version "
                "'%(artifact)s' in the distribution's metadata."
            )
            % {"form": form_version, "artifact": metadata.version}
        )


# Rendered descriptions by digest of (content type, description): a release's wheels and sdist
# carry the same description, and rendering it is the costliest upload rule. Bounded in bytes.
_RENDERED: OrderedDict[bytes, RenderedDescription] = OrderedDict()
_RENDERED_MAX_BYTES = 32 * 1024 * 1024
_rendered_bytes = 0
_RENDERED_LOCK = threading.Lock()


def _remember(key: bytes, rendered: RenderedDescription) -> None:
    global _rendered_bytes  # noqa: PLW0603 - the cache's size, guarded by its lock
    with _RENDERED_LOCK:
        if key in _RENDERED:
            return
        _RENDERED[key] = rendered
        _rendered_bytes += len(rendered.html)
        while _rendered_bytes > _RENDERED_MAX_BYTES and _RENDERED:
            _rendered_bytes -= len(_RENDERED.popitem(last=False)[1].html)


def _rendered(description: str, declared: str) -> RenderedDescription:
    key = hashlib.sha256(f"{declared}\0{description}".encode()).digest()
    with _RENDERED_LOCK:
        if key in _RENDERED:
            _RENDERED.move_to_end(key)
            return _RENDERED[key]
    rendered = render_description(description, declared)
    if rendered.renders:
        _remember(key, rendered)
    return rendered


def rendered_description(metadata: Metadata) -> str:
    """Rule 21: the description renders in its declared format (reStructuredText by default).
    Returns the HTML the release page shows: rendered once, here, within the time budget (or
    as plain text when too large or too slow)."""
    description = metadata.description
    if not description:
        return ""
    declared = metadata.description_content_type or ""
    rendered = _rendered(description, declared)
    if rendered.renders:
        return rendered.html
    if declared:
        raise UploadRejected(
            _("The description failed to render for '%(content_type)s'.")
            % {"content_type": declared}
        )
    raise UploadRejected(
        _("The description failed to render in the default format of reStructuredText.")
    )


def release_fields(metadata: Metadata, description_html: str = "") -> dict:
    """Core metadata as `Release` model fields: JSON-able, "" rather than None; with the
    description's HTML from `rendered_description`."""
    return {
        "version": str(metadata.version),
        "canonical_version": canonicalize_version(metadata.version),
        "is_prerelease": metadata.version.is_prerelease,
        "metadata_version": metadata.metadata_version,
        "summary": metadata.summary or "",
        "description": metadata.description or "",
        "description_content_type": metadata.description_content_type or "",
        "description_html": description_html,
        "keywords": ", ".join(keyword for keyword in metadata.keywords or [] if keyword),
        "license": metadata.license or "",
        "license_expression": str(metadata.license_expression or ""),
        "license_files": list(metadata.license_files or []),
        "classifiers": list(metadata.classifiers or []),
        "platforms": list(metadata.platforms or []),
        "author": metadata.author or "",
        "author_email": metadata.author_email or "",
        "maintainer": metadata.maintainer or "",
        "maintainer_email": metadata.maintainer_email or "",
        "home_page": metadata.home_page or "",
        "download_url": metadata.download_url or "",
        "project_urls": dict(metadata.project_urls or {}),
        "requires_python": str(metadata.requires_python or ""),
        "requires_dist": [str(requirement) for requirement in metadata.requires_dist or []],
        "provides_extra": [str(extra) for extra in metadata.provides_extra or []],
        "requires_external": list(metadata.requires_external or []),
        "provides_dist": list(metadata.provides_dist or []),
        "obsoletes_dist": list(metadata.obsoletes_dist or []),
        "dynamic": list(metadata.dynamic or []),
    }
