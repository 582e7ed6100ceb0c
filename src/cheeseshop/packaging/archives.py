"""Distribution archive inspection (PyPI rules 36-38 and 49-52).

Reads an uploaded sdist or wheel, already on disk, in one streaming pass: the archive must be
what its extension says, safe to unpack with any tool (no path tricks, links leading out of the
tree once followed, devices, decompression bombs, or headers that lie about what they hold),
must mean the same to every tool (no bytes that only some readers see, no names that one file
system merges), and must carry the files a distribution needs. Returns the core metadata bytes
for the metadata rules.
"""

import configparser
import gzip
import os
import posixpath
import re
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from cheeseshop.packaging.errors import UploadRejected

# A distribution that unpacks to more than this AND more than MAX_COMPRESSION_RATIO times its
# own size is treated as a decompression bomb (PyPI's thresholds, warehouse discussion #13962).
MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024
MAX_COMPRESSION_RATIO = 50
# Each member costs memory while it is checked; real distributions stay far below this.
MAX_MEMBERS = 100_000
# Core metadata and entry points are held in memory; nothing legitimate comes near this.
MAX_CAPTURED_MEMBER_SIZE = 16 * 1024 * 1024
_CHUNK_SIZE = 1024 * 1024

SDIST = "sdist"
WHEEL = "bdist_wheel"

# Whatever reading a malformed archive can raise. All of it becomes UploadRejected.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    gzip.BadGzipFile,
    OSError,
    EOFError,
    ValueError,
    struct.error,
    NotImplementedError,
    OverflowError,
    KeyError,
    IndexError,
    UnicodeError,
)


@dataclass(frozen=True)
class DistributionContents:
    """What the upload view needs from an inspected distribution."""

    packagetype: str
    # PKG-INFO (sdist) or .dist-info/METADATA (wheel), as stored: served as the PEP 658 file.
    metadata: bytes
    metadata_member: str
    # The sdist's single top-level directory, or the wheel's .dist-info directory.
    root: str
    # Every non-directory member, for the License-File checks made once metadata is parsed.
    members: frozenset[str]
    # The regular files a caller asked for with ``capture`` (the malware checks read code this
    # way, through the same checks): name → (bytes, mode bits).
    captured: dict[str, tuple[bytes, int]] = field(default_factory=dict)


# Asked of each regular member with its name and size: should its bytes be returned?
CapturePredicate = Callable[[str, int], bool]


def _invalid(detail: str) -> UploadRejected:
    return UploadRejected(_("Invalid distribution file. %(detail)s") % {"detail": detail})


def inspect_distribution(
    path: str | os.PathLike,
    filename: str,
    packagetype: str,
    capture: CapturePredicate | None = None,
) -> DistributionContents:
    """Validate the archive at `path` and return its core metadata; raise UploadRejected.

    ``capture`` picks regular members whose bytes to return as well (at most
    MAX_CAPTURED_MEMBER_SIZE each; a larger one is not captured)."""
    is_zip_name = filename.lower().endswith((".whl", ".zip"))
    try:
        _check_single_archive_type(path)
        if is_zip_name:
            return _ZipInspector(path, filename, packagetype, capture).inspect()
        return _TarInspector(path, filename, capture).inspect()
    except _READ_ERRORS as exc:
        raise _invalid(
            _("The archive could not be read: %(error)s") % {"error": _one_line(exc)}
        ) from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _check_single_archive_type(path) -> None:
    """Rule 36: a file that is both a zip and a tar means different things to different tools."""
    if zipfile.is_zipfile(path) and tarfile.is_tarfile(path):
        raise _invalid(_("File is both a zip and a tar file."))


# Member names -------------------------------------------------------------------------------

_DRIVE_RE = re.compile(r"^[A-Za-z]:")


def _check_member_name(name: str) -> None:
    """Every tool must unpack the member inside the target directory, at the same path."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(_("Member name %(name)r is not valid UTF-8.") % {"name": name}) from None
    if not name.isprintable():
        raise _invalid(
            _("Member name %(name)r contains non-printable characters.") % {"name": name}
        )
    reason = _unsafe_path_reason(name)
    if reason:
        raise _invalid(
            _("Unsafe member path %(name)r: %(reason)s.") % {"name": name, "reason": reason}
        )


def _unsafe_path_reason(name: str) -> str | None:  # noqa: PLR0911 - one return per rule
    if "\\" in name:
        return _("backslashes are not allowed")
    path = name.removesuffix("/")
    if not path:
        return _("the path is empty")
    if path.startswith("/"):
        return _("absolute paths are not allowed")
    if _DRIVE_RE.match(path):
        return _("drive letters are not allowed")
    parts = path.split("/")
    if ".." in parts:
        return _("'..' components are not allowed")
    if "." in parts or "" in parts:
        return _("empty and '.' components are not allowed")
    return None


def _top_level(name: str) -> str:
    return name.partition("/")[0]


def _parent_paths(path: str):
    """`a`, `a/b` for `a/b/c`: the directories a member's path goes through."""
    position = path.find("/")
    while position >= 0:
        yield path[:position]
        position = path.find("/", position + 1)


def _folded(path: str) -> str:
    """The path as case-insensitive, normalizing file systems (macOS, Windows) see it; Windows
    also drops the dots and spaces that end a name."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", path).casefold())
    return "/".join(part.rstrip(". ") or part for part in folded.split("/"))


class _MemberTree:
    """The paths the members unpack to, folded the way case-insensitive and Unicode-normalizing
    file systems fold them. Two members that would land on one path there, or a file that is
    also a directory, unpack differently from tool to tool and system to system: refused."""

    def __init__(self) -> None:
        # Folded path -> (the path as spelt, the member that made it a directory).
        self.directories: dict[str, tuple[str, str]] = {}
        self.non_directories: dict[str, str] = {}
        # Directories already checked, as spelt.
        self.checked_directories: set[str] = set()

    def add(self, name: str, is_directory: bool) -> None:
        path = name.removesuffix("/")
        parent = path.rpartition("/")[0]
        # A checked directory's own parents were checked with it: most members share them.
        if parent and parent not in self.checked_directories:
            for ancestor in _parent_paths(path):
                self._add_directory(ancestor, name)
        if is_directory:
            self._add_directory(path, name)
        else:
            self._add_non_directory(path, name)

    def _add_directory(self, path: str, member: str) -> None:
        if path in self.checked_directories:
            return
        key = _folded(path)
        seen_path, _member = self.directories.get(key, (None, None))
        if key in self.non_directories:
            raise _file_and_directory(self.non_directories[key], member)
        if seen_path is not None:
            raise _folded_collision(seen_path, path)
        self.directories[key] = (path, member)
        self.checked_directories.add(path)

    def _add_non_directory(self, path: str, member: str) -> None:
        key = _folded(path)
        if key in self.directories:
            raise _file_and_directory(member, self.directories[key][1])
        if key in self.non_directories:
            raise _folded_collision(self.non_directories[key], path)
        self.non_directories[key] = path


def _file_and_directory(file: str, directory: str) -> UploadRejected:
    return _invalid(
        _("Member %(file)r is a file, and %(directory)r uses the same path as a directory.")
        % {"file": file, "directory": directory}
    )


def _folded_collision(first: str, second: str) -> UploadRejected:
    return _invalid(
        _(
            "Members %(first)r and %(second)r differ only by case, Unicode normalization or "
            "trailing dots and spaces; some file systems unpack them to one path."
        )
        % {"first": first, "second": second}
    )


# Sdist and wheel layout ---------------------------------------------------------------------


def _split_name_version(stem: str) -> tuple[str, Version] | None:
    name, _sep, version = stem.rpartition("-")
    if not name:
        return None
    try:
        return canonicalize_name(name), Version(version)
    except InvalidVersion:
        return None


def _same_release(directory: str, stem: str) -> bool:
    if directory == stem:
        return True
    parsed = _split_name_version(directory)
    return parsed is not None and parsed == _split_name_version(stem)


def _sdist_root(top_levels: set[str], filename: str) -> str:
    """Rule 38: exactly one top-level directory, named `<name>-<version>` like the file."""
    if len(top_levels) != 1:
        shown = ", ".join(repr(top) for top in sorted(top_levels)[:5])
        raise _invalid(
            _(
                "A source distribution must contain exactly one top-level directory, "
                "found %(count)d: %(names)s."
            )
            % {"count": len(top_levels), "names": shown}
        )
    (root,) = top_levels
    stem = filename[: -len(".tar.gz")] if filename.lower().endswith(".tar.gz") else filename[:-4]
    if not _same_release(root, stem):
        raise _invalid(
            _("The top-level directory is %(root)r but should be %(expected)r.")
            % {"root": root, "expected": stem}
        )
    return root


def _check_inside_top_level(name: str) -> None:
    if "/" not in name.removesuffix("/"):
        raise _invalid(
            _("Member %(name)r is a file outside the top-level directory.") % {"name": name}
        )


def _missing_pkg_info(root: str) -> UploadRejected:
    return _invalid(
        _("The source distribution has no PKG-INFO file at '%(path)s'.")
        % {"path": f"{root}/PKG-INFO"}
    )


def _wheel_dist_info(filename: str, top_levels: set[str]) -> str:
    """The `.dist-info` directory the wheel's filename names.

    Matched exactly, else by canonical name and version (older tools did not escape names in
    the directory the way they did in the filename).
    """
    name, _sep, rest = filename.partition("-")
    version = rest.partition("-")[0]
    expected = f"{name}-{version}.dist-info"
    if expected in top_levels:
        return expected
    wanted = _split_name_version(f"{name}-{version}")
    matches = [
        top
        for top in top_levels
        if top.endswith(".dist-info")
        and wanted is not None
        and _split_name_version(top.removesuffix(".dist-info")) == wanted
    ]
    return matches[0] if len(matches) == 1 else expected


def _missing_wheel_file(filename: str, member: str, path: str) -> UploadRejected:
    return UploadRejected(
        _("Wheel '%(filename)s' does not contain the required %(member)s file: %(path)s")
        % {"filename": filename, "member": member, "path": path}
    )


# Entry point object reference (module:attr) with optional extras, per the entry points spec.
_ENTRY_POINT_RE = re.compile(r"[\w.]+\s*(?::\s*[\w.]+\s*)?(?:\[[^\]]*\]\s*)?")


def _check_entry_points(data: bytes, filename: str) -> None:
    """Rule 51: entry_points.txt is UTF-8 INI whose values are object references."""

    def invalid(detail: str) -> UploadRejected:
        return UploadRejected(
            _(
                "Wheel '%(filename)s' has invalid entry points defined in the entry_points.txt "
                "file: %(detail)s"
            )
            % {"filename": filename, "detail": detail}
        )

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid(_("it is not valid UTF-8")) from None
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # entry point names are case-sensitive
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise invalid(_one_line(exc)) from None
    for section in parser.sections():
        for name, value in parser.items(section):
            if not _ENTRY_POINT_RE.fullmatch(value.strip()):
                raise invalid(
                    _("%(name)r in [%(section)s] is not an object reference: %(value)r")
                    % {"name": name, "section": section, "value": value}
                )


def check_license_files(
    contents: DistributionContents, license_files: list[str], filename: str
) -> None:
    """Rules 43 and 49 (PEP 639): every License-File in the metadata is in the archive."""
    for license_file in license_files:
        if contents.packagetype == WHEEL:
            path = f"{contents.root}/licenses/{license_file}"
        else:
            path = f"{contents.root}/{license_file}"
        if path not in contents.members:
            raise UploadRejected(
                _(
                    "License-File %(license)s does not exist in distribution file "
                    "%(filename)s at %(path)s"
                )
                % {"license": license_file, "filename": filename, "path": path}
            )


def _decompression_limit(archive_size: int) -> int:
    return max(MAX_DECOMPRESSED_SIZE, MAX_COMPRESSION_RATIO * archive_size)


def _bomb(archive_size: int, decompressed: str) -> UploadRejected:
    return _invalid(
        _(
            "The archive decompresses to %(decompressed)s bytes, more than 64 MiB and more than "
            "%(ratio)d times its size of %(size)d bytes (decompression bomb)."
        )
        % {"decompressed": decompressed, "ratio": MAX_COMPRESSION_RATIO, "size": archive_size}
    )


def _check_captured_size(name: str, size: int) -> None:
    if size > MAX_CAPTURED_MEMBER_SIZE:
        raise _invalid(
            _("Member %(name)r is %(size)d bytes; the limit for this file is %(limit)d bytes.")
            % {"name": name, "size": size, "limit": MAX_CAPTURED_MEMBER_SIZE}
        )


# Zip (wheels, legacy .zip sdists) -----------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_FLAG_ENCRYPTED = 0x1
_FLAG_DATA_DESCRIPTOR = 0x8
_FLAG_UTF8 = 0x800
_ZIP64_MARKER = 0xFFFFFFFF
_UNICODE_PATH_EXTRA = 0x7075
_ZIP64_EXTRA = 0x0001
_DATA_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_SYMLINK_MODE = 0o120000
_FILE_TYPE_MASK = 0o170000


def _extra_field_ids(extra: bytes):
    offset = 0
    while offset + 4 <= len(extra):
        field_id, length = struct.unpack_from("<2H", extra, offset)
        yield field_id
        offset += 4 + length


def _checked_extra_field_ids(extra: bytes, name: str) -> set[int]:
    """The extra fields of one header. Each at most once, framed exactly: tools that take the
    first copy and tools that take the last would read different sizes, offsets or names."""
    ids = list(_extra_field_ids(extra))
    if len(ids) != len(set(ids)) or not _extra_fields_fill(extra):
        raise _invalid(
            _("Member %(name)r has repeated or malformed extra fields.") % {"name": name}
        )
    return set(ids)


def _extra_fields_fill(extra: bytes) -> bool:
    offset = 0
    while offset + 4 <= len(extra):
        offset += 4 + struct.unpack_from("<H", extra, offset + 2)[0]
    return offset == len(extra)


_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4sQ2H2L4Q")
# The size a ZIP64 end record declares for itself (what follows its first 12 bytes) when it
# carries no extensible data.
_ZIP64_END_RECORD_BODY = _ZIP64_END_OF_CENTRAL_DIRECTORY.size - 12
_MAX_ZIP_COMMENT = 0xFFFF


@dataclass(frozen=True)
class _ZipEnd:
    """Where the end records put the central directory, and how many members they declare."""

    central_directory_start: int
    member_count: int


def _zip_end_records(path) -> _ZipEnd | None:
    """Read and check the end records before zipfile loads every entry.

    The archive must end with its end record: no comment and no trailing data, where a second
    archive or a fake end record can hide for tools that search for the record differently.
    The central directory must end right where the end records begin. None when there is no
    end record at all: zipfile reports that.
    """
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        tail_size = min(size, _END_OF_CENTRAL_DIRECTORY.size + _MAX_ZIP_COMMENT)
        stream.seek(size - tail_size)
        tail = stream.read(tail_size)
        end = len(tail) - _END_OF_CENTRAL_DIRECTORY.size
        if end < 0 or tail[end : end + 4] != b"PK\x05\x06":
            # Not at the very end (the record's own fields may hold its signature): search.
            end = tail.rfind(b"PK\x05\x06")
        if end < 0 or end + _END_OF_CENTRAL_DIRECTORY.size > len(tail):
            return None
        record_at = size - tail_size + end
        (_sig, _disk, _cd_disk, _disk_count, count, cd_size, cd_offset,
         comment_length) = _END_OF_CENTRAL_DIRECTORY.unpack_from(tail, end)  # fmt: skip
        if comment_length:
            raise _invalid(_("The zip file has a comment; distributions may not have one."))
        if record_at + _END_OF_CENTRAL_DIRECTORY.size != size:
            raise _invalid(
                _("The zip file has %(size)d bytes after its end record.")
                % {"size": size - record_at - _END_OF_CENTRAL_DIRECTORY.size}
            )
        zip64 = _read_zip64_end(stream, record_at)
        if zip64 is not None:
            record_at, count, cd_size, cd_offset = zip64
        if cd_offset + cd_size != record_at:
            raise _invalid(
                _(
                    "The end record places the central directory at bytes %(start)d to "
                    "%(end)d, but the end records start at byte %(record)d."
                )
                % {"start": cd_offset, "end": cd_offset + cd_size, "record": record_at}
            )
        return _ZipEnd(central_directory_start=cd_offset, member_count=count)


def _read_zip64_end(stream, record_at: int) -> tuple[int, int, int, int] | None:
    """(where the ZIP64 end record starts, member count, central directory size and offset),
    or None when the archive has no ZIP64 locator."""
    locator_at = record_at - _ZIP64_LOCATOR.size
    if locator_at < 0:
        return None
    stream.seek(locator_at)
    signature, _disk, zip64_at, _disks = _ZIP64_LOCATOR.unpack(stream.read(_ZIP64_LOCATOR.size))
    if signature != b"PK\x06\x07":
        return None
    stream.seek(zip64_at)
    record = stream.read(_ZIP64_END_OF_CENTRAL_DIRECTORY.size)
    malformed = len(record) != _ZIP64_END_OF_CENTRAL_DIRECTORY.size
    if not malformed:
        fields = _ZIP64_END_OF_CENTRAL_DIRECTORY.unpack(record)
        malformed = (
            fields[0] != b"PK\x06\x06"
            or fields[1] != _ZIP64_END_RECORD_BODY
            or zip64_at + _ZIP64_END_OF_CENTRAL_DIRECTORY.size != locator_at
        )
    if malformed:
        raise _invalid(_("The ZIP64 end record is malformed or carries extensible data."))
    return zip64_at, fields[7], fields[8], fields[9]


def _check_member_count(count: int) -> None:
    if count > MAX_MEMBERS:
        raise _invalid(_("The archive has more than %(limit)d members.") % {"limit": MAX_MEMBERS})


def _unicode_path_extra(name: str) -> UploadRejected:
    return _invalid(
        _(
            "Member %(name)r has a Unicode path extra field, which may name it differently to "
            "different tools."
        )
        % {"name": name}
    )


def _unlisted_bytes(start: int, end: int) -> UploadRejected:
    return _invalid(
        _(
            "Bytes %(start)d to %(end)d of the zip file belong to no member listed in its "
            "central directory."
        )
        % {"start": start, "end": end}
    )


def _check_single_dist_info(filename: str, top_levels: set[str]) -> None:
    """Installers disagree on which of two .dist-info directories describes the wheel (pip
    refuses such a wheel)."""
    dist_infos = sorted(top for top in top_levels if top.endswith(".dist-info"))
    if len(dist_infos) > 1:
        raise UploadRejected(
            _("Wheel '%(filename)s' has more than one .dist-info directory: %(names)s.")
            % {"filename": filename, "names": ", ".join(repr(name) for name in dist_infos)}
        )


def _wants(capture: CapturePredicate | None, name: str, size: int) -> bool:
    return capture is not None and size <= MAX_CAPTURED_MEMBER_SIZE and capture(name, size)


class _ZipInspector:
    def __init__(self, path, filename: str, packagetype: str, capture=None) -> None:
        self.path = path
        self.filename = filename
        self.packagetype = packagetype
        self.size = os.path.getsize(path)
        self.capture = capture
        self.captured: dict[str, tuple[bytes, int]] = {}

    def inspect(self) -> DistributionContents:
        end_records = _zip_end_records(self.path)
        if end_records is not None:
            _check_member_count(end_records.member_count)
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
        except zipfile.BadZipFile:
            raise self._not_a_zip() from None
        if end_records is None:
            raise self._not_a_zip()
        if len(infos) != end_records.member_count:
            raise _invalid(
                _(
                    "The end record declares %(declared)d members, but the central directory "
                    "holds %(found)d."
                )
                % {"declared": end_records.member_count, "found": len(infos)}
            )
        central_directory_start = end_records.central_directory_start
        names = self._check_entries(infos)
        files = frozenset(name for name in names if not name.endswith("/"))
        top_levels = {_top_level(name) for name in names}
        if self.packagetype == WHEEL:
            _check_single_dist_info(self.filename, top_levels)
            root = _wheel_dist_info(self.filename, top_levels)
            metadata_member = f"{root}/METADATA"
            required = [("WHEEL", f"{root}/WHEEL"), ("METADATA", metadata_member)]
            required.append(("RECORD", f"{root}/RECORD"))
            for member, path in required:
                if path not in files:
                    raise _missing_wheel_file(self.filename, member, path)
            entry_points = f"{root}/entry_points.txt"
        else:
            for name in files:
                _check_inside_top_level(name)
            root = _sdist_root(top_levels, self.filename)
            metadata_member = f"{root}/PKG-INFO"
            if metadata_member not in files:
                raise _missing_pkg_info(root)
            entry_points = None
        captured = self._verify_members(
            infos, central_directory_start, {metadata_member, entry_points} - {None}
        )
        if entry_points in captured:
            _check_entry_points(captured[entry_points], self.filename)
        return DistributionContents(
            packagetype=self.packagetype,
            metadata=captured[metadata_member],
            metadata_member=metadata_member,
            root=root,
            members=files,
            captured=self.captured,
        )

    def _not_a_zip(self) -> UploadRejected:
        return _invalid(_("'%(filename)s' is not a valid zip file.") % {"filename": self.filename})

    def _check_entries(self, infos: list[zipfile.ZipInfo]) -> list[str]:
        """Central directory checks, before any data is read."""
        _check_member_count(len(infos))
        names = []
        seen = set()
        tree = _MemberTree()
        declared_total = 0
        for info in infos:
            name = info.orig_filename
            if not info.flag_bits & _FLAG_UTF8 and not name.isascii():
                # Without the UTF-8 flag the bytes are CP437 to some tools, local encodings to
                # others: the same archive would unpack to different names.
                raise _invalid(_("Member name %(name)r is not marked as UTF-8.") % {"name": name})
            _check_member_name(name)
            if name in seen:
                raise _invalid(_("Duplicate member name %(name)r.") % {"name": name})
            seen.add(name)
            tree.add(name, name.endswith("/"))
            if _UNICODE_PATH_EXTRA in _checked_extra_field_ids(info.extra, name):
                raise _unicode_path_extra(name)
            if info.flag_bits & _FLAG_ENCRYPTED:
                raise _invalid(_("Member %(name)r is encrypted.") % {"name": name})
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _invalid(
                    _(
                        "Member %(name)r uses compression method %(method)d; only STORED (0) "
                        "and DEFLATED (8) are allowed."
                    )
                    % {"name": name, "method": info.compress_type}
                )
            if name.endswith("/") and info.file_size:
                # Unpacking tools make the directory and drop the data: only some readers see it.
                raise _invalid(
                    _("Directory entry %(name)r holds %(size)d bytes of data.")
                    % {"name": name, "size": info.file_size}
                )
            if (info.external_attr >> 16) & _FILE_TYPE_MASK == _SYMLINK_MODE:
                raise _invalid(
                    _(
                        "Member %(name)r is a symbolic link; zip distributions may not contain "
                        "links."
                    )
                    % {"name": name}
                )
            declared_total += info.file_size
            names.append(name)
        if declared_total > _decompression_limit(self.size):
            raise _bomb(self.size, str(declared_total))
        return names

    def _verify_members(
        self, infos: list[zipfile.ZipInfo], central_directory_start: int, wanted: set[str]
    ) -> dict[str, bytes]:
        """Read every member once: local headers must agree with the central directory, each
        stream must inflate to exactly its declared size and CRC, and the members must follow
        one another from byte 0 to the central directory with nothing between them. Bytes no
        listed member holds can be a hidden entry that a tool reading local headers unpacks
        and zipfile and pip never see; overlapping members are how zip bombs multiply data."""
        captured = {}
        previous_end = 0
        with open(self.path, "rb") as stream:
            for info in sorted(infos, key=lambda info: info.header_offset):
                self._check_follows(info.header_offset, previous_end, info.orig_filename)
                data_start, zip64 = self._check_local_header(stream, info)
                if data_start + info.compress_size > central_directory_start:
                    raise self._into_central_directory(info.orig_filename)
                name = info.orig_filename
                required = name in wanted
                if required:
                    _check_captured_size(name, info.file_size)
                asked = not name.endswith("/") and _wants(self.capture, name, info.file_size)
                data = self._read_member(stream, info, required or asked)
                if required:
                    captured[name] = data
                if asked:
                    self.captured[name] = (data, (info.external_attr >> 16) & 0o7777)
                previous_end = data_start + info.compress_size
                if info.flag_bits & _FLAG_DATA_DESCRIPTOR:
                    previous_end += self._check_data_descriptor(stream, info, zip64)
                if previous_end > central_directory_start:
                    raise self._into_central_directory(info.orig_filename)
        if previous_end < central_directory_start:
            raise _unlisted_bytes(previous_end, central_directory_start)
        return captured

    @staticmethod
    def _check_follows(header_offset: int, previous_end: int, name: str) -> None:
        if header_offset < previous_end:
            raise _invalid(_("Member %(name)r overlaps another member.") % {"name": name})
        if header_offset > previous_end:
            raise _unlisted_bytes(previous_end, header_offset)

    @staticmethod
    def _into_central_directory(name: str) -> UploadRejected:
        return _invalid(_("Member %(name)r extends into the central directory.") % {"name": name})

    def _check_data_descriptor(self, stream, info: zipfile.ZipInfo, zip64: bool) -> int:
        """The record after the data of a member written as a stream; its length. It must
        repeat the central directory's CRC and sizes."""
        sizes = struct.Struct("<QQ" if zip64 else "<LL")
        first = stream.read(4)
        signature = first == _DATA_DESCRIPTOR_SIGNATURE
        crc = stream.read(4) if signature else first
        declared = stream.read(sizes.size)
        if (
            len(crc) != 4
            or len(declared) != sizes.size
            or (
                struct.unpack("<L", crc)[0],
                *sizes.unpack(declared),
            )
            != (info.CRC, info.compress_size, info.file_size)
        ):
            raise _invalid(
                _("The data descriptor of member %(name)r does not match the central directory.")
                % {"name": info.orig_filename}
            )
        return (4 if signature else 0) + 4 + sizes.size

    def _check_local_header(self, stream, info: zipfile.ZipInfo) -> tuple[int, bool]:
        """Where the member's data starts, and whether it is in ZIP64 form."""
        name = info.orig_filename
        stream.seek(info.header_offset)
        header = stream.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise _invalid(_("Member %(name)r has a truncated local header.") % {"name": name})
        (signature, _v, _os, flags, method, _t, _d, crc, compressed, size, name_length,
         extra_length) = _LOCAL_HEADER.unpack(header)  # fmt: skip
        local_name = stream.read(name_length).decode(
            "utf-8" if flags & _FLAG_UTF8 else "cp437", errors="replace"
        )
        local_extra_ids = _checked_extra_field_ids(stream.read(extra_length), name)
        if _UNICODE_PATH_EXTRA in local_extra_ids:
            # Tools that read local headers would take their name from it.
            raise _unicode_path_extra(name)
        zip64 = _ZIP64_EXTRA in local_extra_ids
        disagrees = (
            signature != _LOCAL_HEADER_SIGNATURE
            or local_name != name
            or method != info.compress_type
            or flags & _FLAG_ENCRYPTED
        )
        if not disagrees and not flags & _FLAG_DATA_DESCRIPTOR:
            disagrees = crc != info.CRC or (
                _ZIP64_MARKER not in (compressed, size)
                and (compressed, size) != (info.compress_size, info.file_size)
            )
        if disagrees:
            raise _invalid(
                _("The local header of member %(name)r does not match the central directory.")
                % {"name": name}
            )
        return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length, zip64

    def _read_member(self, stream, info: zipfile.ZipInfo, capture: bool) -> bytes:
        name = info.orig_filename
        chunks = [] if capture else None
        crc = 0
        produced = 0
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        deflated = info.compress_type == zipfile.ZIP_DEFLATED
        left = info.compress_size
        pending = b""
        while True:
            if not pending and left:
                pending = stream.read(min(_CHUNK_SIZE, left))
                if not pending:
                    raise _invalid(_("Member %(name)r is truncated.") % {"name": name})
                left -= len(pending)
            if deflated:
                output = decompressor.decompress(pending, _CHUNK_SIZE)
                pending = decompressor.unconsumed_tail
            else:
                output, pending = pending, b""
            if not output and not pending and (not left or decompressor.eof):
                break
            produced += len(output)
            if produced > info.file_size:
                raise self._lying_header(name)
            crc = zlib.crc32(output, crc)
            if chunks is not None:
                chunks.append(output)
        if deflated and (not decompressor.eof or decompressor.unused_data or left):
            raise self._lying_header(name)
        if produced != info.file_size or crc != info.CRC:
            raise self._lying_header(name)
        return b"".join(chunks) if chunks is not None else b""

    @staticmethod
    def _lying_header(name: str) -> UploadRejected:
        return _invalid(
            _("Member %(name)r does not decompress to the size and CRC its header declares.")
            % {"name": name}
        )


# tar.gz (sdists) ----------------------------------------------------------------------------


class _BoundedReader:
    """A read-only stream over the decompressed tar that refuses to grow past the bomb limit,
    and remembers its last bytes so the end of the archive can be checked."""

    _HISTORY = 64 * 1024

    def __init__(self, source, limit: int, archive_size: int) -> None:
        self.source = source
        self.limit = limit
        self.archive_size = archive_size
        self.position = 0
        self.history = deque()
        self.history_size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size if size is not None and size >= 0 else _CHUNK_SIZE)
        self.position += len(data)
        if self.position > self.limit:
            raise _bomb(self.archive_size, _("more than %(limit)d") % {"limit": self.limit})
        self.history.append(data)
        self.history_size += len(data)
        while self.history and self.history_size - len(self.history[0]) >= self._HISTORY:
            self.history_size -= len(self.history.popleft())
        return data

    def bytes_since(self, offset: int) -> bytes | None:
        start = self.position - self.history_size
        if offset < start:
            return None
        return b"".join(self.history)[offset - start :]


_GZIP_MAGIC = b"\x1f\x8b"


class _TarInspector:
    def __init__(self, path, filename: str, capture=None) -> None:
        self.path = path
        self.filename = filename
        self.capture = capture
        self.captured: dict[str, tuple[bytes, int]] = {}
        self.size = os.path.getsize(path)
        self.names: set[str] = set()
        self.files: set[str] = set()
        # Regular files and hard links: what a hard link may point to.
        self.regular_files: set[str] = set()
        self.links = _SymbolicLinks()
        self.tree = _MemberTree()
        self.top_levels: set[str] = set()
        self.metadata: bytes | None = None
        self.metadata_member: str | None = None

    def inspect(self) -> DistributionContents:
        with open(self.path, "rb") as raw:
            if raw.read(2) != _GZIP_MAGIC:
                raise _invalid(
                    _("'%(filename)s' is not a gzip-compressed tar file.")
                    % {"filename": self.filename}
                )
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") as decompressed:
                reader = _BoundedReader(decompressed, _decompression_limit(self.size), self.size)
                self._read_members(reader)
        self._check_links_once_unpacked()
        root = _sdist_root(self.top_levels, self.filename)
        if self.metadata is None or self.metadata_member != f"{root}/PKG-INFO":
            raise _missing_pkg_info(root)
        return DistributionContents(
            packagetype=SDIST,
            metadata=self.metadata,
            metadata_member=self.metadata_member,
            root=root,
            members=frozenset(self.files),
            captured=self.captured,
        )

    def _read_members(self, reader: _BoundedReader) -> None:
        try:
            tar = tarfile.open(  # noqa: SIM115 - closed by the with block below
                fileobj=reader, mode="r|", encoding="utf-8", errors="surrogateescape"
            )
        except tarfile.ReadError:
            raise _invalid(
                _("'%(filename)s' is not a valid tar.gz file.") % {"filename": self.filename}
            ) from None
        with tar:
            while (member := tar.next()) is not None:
                tar.members.clear()  # streaming: keep no per-member state in tarfile
                self._check_member(member)
                if member.isfile() and re.fullmatch(r"[^/]+/PKG-INFO", member.name):
                    _check_captured_size(member.name, member.size)
                    self.metadata = tar.extractfile(member).read()
                    self.metadata_member = member.name
                    if _wants(self.capture, member.name, member.size):
                        self.captured[member.name] = (self.metadata, member.mode & 0o7777)
                elif member.isfile() and _wants(self.capture, member.name, member.size):
                    data = tar.extractfile(member).read()
                    self.captured[member.name] = (data, member.mode & 0o7777)
            end_of_members = tar.offset
            trailer = reader.bytes_since(end_of_members)
            # tarfile stops quietly at a header it cannot parse; other tools may not. Only
            # zero blocks may follow the last member.
            while chunk := reader.read(_CHUNK_SIZE):
                trailer = None if trailer is None else trailer + chunk
                if chunk.strip(b"\0"):
                    trailer = None
                    break
            if trailer is None or trailer.strip(b"\0"):
                raise _invalid(_("The tar archive has data after its last member."))

    def _check_member(self, member: tarfile.TarInfo) -> None:
        name = member.name
        _check_member_count(len(self.names) + 1)
        _check_member_name(name)
        if name in self.names:
            raise _invalid(_("Duplicate member name %(name)r.") % {"name": name})
        self.names.add(name)
        self.top_levels.add(_top_level(name))
        self._check_not_under_a_link(name)
        self.tree.add(name, member.isdir())
        if member.issparse():
            raise _invalid(_("tar archive not accepted: Sparse members are not allowed."))
        if member.ischr() or member.isblk() or member.isfifo():
            raise _invalid(
                _("Member %(name)r is a device or FIFO, which is not allowed.") % {"name": name}
            )
        if member.issym() or member.islnk():
            self._check_link(member)
        elif not (member.isfile() or member.isdir()):
            raise _invalid(
                _("Member %(name)r has an unsupported type %(type)r.")
                % {"name": name, "type": member.type.decode("latin-1")}
            )
        if not member.isdir():
            _check_inside_top_level(name)
            self.files.add(name)
        if member.isfile() or member.islnk():
            self.regular_files.add(name)

    def _check_not_under_a_link(self, name: str) -> None:
        """A member inside a symbolic link is written wherever the link leads: outside the
        target directory through a chain of links, or over another member through an alias.
        Tar writers never store one (they store the link, not what it points to)."""
        if not self.links.targets:
            return
        for parent in _parent_paths(name):
            if parent in self.links:
                raise _invalid(
                    _("Member %(name)r is inside the symbolic link %(link)r.")
                    % {"name": name, "link": parent}
                )

    def _check_link(self, member: tarfile.TarInfo) -> None:
        name = member.name
        target = member.linkname
        top = _top_level(name)
        if member.issym():
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        else:
            resolved = posixpath.normpath(target)
        escapes = (
            not target
            or not target.isprintable()
            or "\\" in target
            or target.startswith("/")
            or _DRIVE_RE.match(target)
            or not resolved.startswith(top + "/")
        )
        if escapes:
            raise _link_outside(name, target)
        if member.issym():
            self.links.add(name, target)
            self._check_link_destination(name)
        elif target not in self.regular_files:
            # The exact name of an earlier file: a path through '..' or a symbolic link could
            # lead elsewhere once unpacked.
            raise _invalid(
                _("Hard link %(name)r points to %(target)r, which is not an earlier file.")
                % {"name": name, "target": target}
            )

    def _check_link_destination(self, name: str) -> None:
        if self.links.destination(name) is None:
            raise _link_outside(name, self.links.targets[name])

    def _check_links_once_unpacked(self) -> None:
        """A later link can move where an earlier one leads (its target goes through it)."""
        if len(self.links.targets) > 1:
            for name in self.links.targets:
                self._check_link_destination(name)


def _link_outside(name: str, target: str) -> UploadRejected:
    return _invalid(
        _("Link %(name)r points outside the top-level directory (to %(target)r).")
        % {"name": name, "target": target}
    )


# The operating system gives up on a chain of more links than this (Linux's ELOOP limit).
_MAX_LINK_HOPS = 40
# Path components walked to resolve one link, and all the links of one archive: bounds the
# work crafted chains can cause. Real sdists hold a handful of links, each a few steps long.
_MAX_RESOLUTION_STEPS = 256
_MAX_ARCHIVE_RESOLUTION_STEPS = 250_000


class _SymbolicLinks:
    """The symbolic links unpacked so far, by name, and how to follow them."""

    def __init__(self) -> None:
        self.targets: dict[str, str] = {}
        self.steps_left = _MAX_ARCHIVE_RESOLUTION_STEPS

    def __contains__(self, name: str) -> bool:
        return name in self.targets

    def add(self, name: str, target: str) -> None:
        self.targets[name] = target

    def destination(self, name: str) -> list[str] | None:
        """Where the link `name` leads once unpacked, as path components.

        Walks the target component by component, following the links as the operating system
        would. None when the walk leaves the top-level directory at any step, or ends on it:
        a target may look inside lexically while a link met on the way leads elsewhere.
        """
        top = _top_level(name)
        resolved = name.split("/")[:-1]
        pending = deque(self.targets[name].split("/"))
        hops = steps = 0
        while pending:
            steps += 1
            self._spend_step(name, steps, hops)
            part = pending.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if len(resolved) <= 1:
                    return None
                resolved.pop()
                continue
            resolved.append(part)
            target = self.targets.get("/".join(resolved))
            if target is not None:
                hops += 1
                resolved.pop()
                pending.extendleft(reversed(target.split("/")))
        return resolved if len(resolved) >= 2 and resolved[0] == top else None

    def _spend_step(self, name: str, steps: int, hops: int) -> None:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise _invalid(
                _("The archive has too many links to follow (more than %(limit)d steps).")
                % {"limit": _MAX_ARCHIVE_RESOLUTION_STEPS}
            )
        if steps > _MAX_RESOLUTION_STEPS or hops > _MAX_LINK_HOPS:
            raise _invalid(
                _("Link %(name)r is part of a loop or of too long a chain of links.")
                % {"name": name}
            )
