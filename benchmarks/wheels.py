"""Wheels the benchmarks upload, built here (standard library only: index_projects.py runs it
inside the index's own environment).

A PEP 427 wheel: one module, METADATA, WHEEL and a RECORD that hashes them; with a payload,
also a data file ``<module>/payload.bin`` holding it, stored rather than deflated (random bytes
do not deflate: stored, they cost no CPU to pack or unpack). The bytes are the same on every
run for the same arguments.
"""

import base64
import hashlib
import io
import zipfile

DATE_TIME = (2024, 1, 1, 0, 0, 0)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def wheel_bytes(
    name: str, version: str, metadata: str, *, payload: bytes = b"", generator: str = "bench"
) -> tuple[str, bytes]:
    """The filename and bytes of ``name`` ``version``'s wheel with ``metadata`` as METADATA."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    members = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        **({f"{module}/payload.bin": payload} if payload else {}),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: {generator}\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ).encode(),
    }
    record = [f"{path},{record_hash(data)},{len(data)}" for path, data in members.items()]
    members[f"{dist_info}/RECORD"] = (
        "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=DATE_TIME)
            info.external_attr = 0o644 << 16
            stored = member.endswith("/payload.bin")
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return f"{module}-{version}-py3-none-any.whl", buffer.getvalue()
