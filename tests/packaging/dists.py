"""Builders for real distribution files, for tests of the upload rules and the upload view.

    wheel = make_wheel(tmp_path, "Example-Pkg", "1.0", metadata={"Summary": "Hi"})
    sdist = make_sdist(tmp_path, "example-pkg", "1.0", extra_members={"LICENSE": b"MIT"})

`metadata` adds or replaces core metadata fields (a list value repeats the field; None removes
it; "Description" goes in the message body). `core_metadata=` replaces the whole file instead.
"""

import io
import re
import struct
import tarfile
import time
import zipfile
from pathlib import Path

DEFAULT_METADATA_VERSION = "2.4"


def filename_name(name: str) -> str:
    """A project name as PEP 427/625 filenames spell it."""
    return re.sub(r"[-_.]+", "_", name).lower()


def core_metadata(name: str, version: str, metadata: dict | None = None) -> bytes:
    fields: dict = {"Metadata-Version": DEFAULT_METADATA_VERSION, "Name": name, "Version": version}
    fields.update(metadata or {})
    description = fields.pop("Description", None)
    lines = []
    for field, value in fields.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{field}: {item}")
    text = "\n".join(lines) + "\n"
    if description is not None:
        text += "\n" + description
    return text.encode("utf-8")


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def end_record_offset(data) -> int:
    return data.rindex(b"PK\x05\x06")


def drop_from_central_directory(path, name: str):
    """The archive with `name`'s central directory entry removed and the end record fixed:
    its local header and data stay where they were, listed nowhere."""
    data = bytearray(path.read_bytes())
    end = end_record_offset(data)
    count, size, start = struct.unpack_from("<H2L", data, end + 10)
    offset = start
    while offset < start + size:
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, offset + 28)
        length = 46 + name_length + extra_length + comment_length
        if data[offset + 46 : offset + 46 + name_length] == name.encode():
            del data[offset : offset + length]
            end -= length
            struct.pack_into("<2H2L", data, end + 8, count - 1, count - 1, size - length, start)
            path.write_bytes(bytes(data))
            return path
        offset += length
    raise AssertionError(name)


def tar_member(name: str, data: bytes = b"", **attributes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o644
    for attribute, value in attributes.items():
        setattr(info, attribute, value)
    return info, data


def write_tar_gz(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def make_wheel(
    directory: Path,
    name: str = "example",
    version: str = "1.0",
    *,
    metadata: dict | None = None,
    core_metadata_bytes: bytes | None = None,
    extra_members: dict[str, bytes] | None = None,
    omit: tuple[str, ...] = (),
    tags: str = "py3-none-any",
    filename: str | None = None,
) -> Path:
    """A wheel with METADATA, WHEEL, RECORD and one module. `omit` drops .dist-info files by
    name (e.g. ("RECORD",)); `extra_members` maps archive paths to contents."""
    stem = f"{filename_name(name)}-{version}"
    dist_info = f"{stem}.dist-info"
    members = {
        f"{filename_name(name)}/__init__.py": b"",
        f"{dist_info}/METADATA": core_metadata_bytes or core_metadata(name, version, metadata),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: cheeseshop-tests\nRoot-Is-Purelib: true\n"
            + f"Tag: {tags}\n".encode()
        ),
        f"{dist_info}/RECORD": b"",
    }
    members = {
        member: data for member, data in members.items() if member.rpartition("/")[2] not in omit
    }
    members.update(extra_members or {})
    return write_zip(Path(directory) / (filename or f"{stem}-{tags}.whl"), members)


def make_sdist(
    directory: Path,
    name: str = "example",
    version: str = "1.0",
    *,
    metadata: dict | None = None,
    core_metadata_bytes: bytes | None = None,
    extra_members: dict[str, bytes] | None = None,
    omit: tuple[str, ...] = (),
    top: str | None = None,
    filename: str | None = None,
) -> Path:
    """A PEP 625 sdist: `<name>-<version>/` holding PKG-INFO, pyproject.toml and a module.
    Paths in `extra_members` and `omit` are relative to the top-level directory."""
    stem = f"{filename_name(name)}-{version}"
    top = top or stem
    files = {
        "PKG-INFO": core_metadata_bytes or core_metadata(name, version, metadata),
        "pyproject.toml": b'[build-system]\nrequires = ["setuptools"]\n',
        f"src/{filename_name(name)}/__init__.py": b"",
    }
    files = {path: data for path, data in files.items() if path not in omit}
    files.update(extra_members or {})
    members = [tar_member(top, type=tarfile.DIRTYPE, mode=0o755)]
    members += [tar_member(f"{top}/{path}", data) for path, data in files.items()]
    return write_tar_gz(Path(directory) / (filename or f"{stem}.tar.gz"), members)
