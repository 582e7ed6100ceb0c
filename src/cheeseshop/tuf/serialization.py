"""Fast serialisation of TUF metadata, byte-identical to python-tuf's and securesystemslib's.

Signatures cover the OLPC canonical JSON of ``signed`` (sorted keys, no whitespace, only ``"``
and ``\\`` escaped, UTF-8). securesystemslib's ``encode_canonical`` is pure Python and costs
~35 ms for a 16,384-bin snapshot; ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` produces the same bytes in C whenever the value holds only exact dicts
(with string keys), lists, strings, ints, booleans and None, and no string holds a control
character. ``canonical_bytes`` checks both conditions and otherwise falls back to
``encode_canonical``, so its output is always what a verifier recomputes.

A metadata file is ``{"signatures":[...],"signed":<canonical signed bytes>}``: valid JSON that
any TUF client parses, written without serialising ``signed`` a second time (unless a string
holds a control character: canonical JSON leaves those raw, which is not valid JSON).
"""

import json

from securesystemslib.formats import encode_canonical
from securesystemslib.signer import Signature, Signer

from tuf.api.exceptions import UnsignedMetadataError
from tuf.api.metadata import Metadata, Signed
from tuf.api.serialization import (
    MetadataSerializer,
    SerializationError,
    SignedSerializer,
)
from tuf.api.serialization.json import JSONSerializer

_SCALARS = frozenset((str, int, bool, type(None)))
_FALLBACK_FILE_SERIALIZER = JSONSerializer(compact=True)


def _plain(value) -> bool:
    """Whether ``value`` holds only types that json.dumps and encode_canonical treat alike
    (no floats, no subclasses such as IntEnum, no non-string keys)."""
    stack = [value]
    pop, push = stack.pop, stack.extend
    scalars = _SCALARS
    while stack:
        item = pop()
        kind = type(item)
        if kind in scalars:
            continue
        if kind is dict:
            for key in item:
                if type(key) is not str:
                    return False
            push(item.values())
        elif kind is list or kind is tuple:
            push(item)
        else:
            return False
    return True


def _has_control_escape(text: str) -> bool:
    """Whether json.dumps escaped a control character somewhere in ``text``.

    With ensure_ascii=False json.dumps escapes only ``"``, ``\\`` and U+0000..U+001F. Every
    backslash starts a two-character escape, so removing the escaped backslashes (scanning
    left to right keeps to escape boundaries) and then the escaped quotes leaves a backslash
    exactly when a control character was escaped.
    """
    return "\\" in text.replace("\\\\", "").replace('\\"', "")


def _canonical(value, types_checked: bool = False) -> tuple[bytes, bool]:
    """Canonical bytes of ``value`` and whether they are also valid JSON (canonical JSON
    leaves control characters unescaped, which JSON parsers refuse). ``types_checked``: the
    caller guarantees what ``_plain`` checks."""
    if types_checked or _plain(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if "\\" not in text or not _has_control_escape(text):
            try:
                return text.encode("utf-8"), True
            except UnicodeEncodeError:
                pass  # a lone surrogate: the reference encoder decides what happens
    text = encode_canonical(value)
    assert text is not None  # noqa: S101 (no output function: the text is returned)
    return text.encode("utf-8"), False


def canonical_bytes(value) -> bytes:
    """OLPC canonical JSON of ``value`` as UTF-8: ``encode_canonical(value).encode()``."""
    return _canonical(value)[0]


class CanonicalSerializer(SignedSerializer):
    """python-tuf's CanonicalJSONSerializer, faster: pass as ``Metadata.sign``'s
    ``signed_serializer``."""

    def serialize(self, signed_obj: Signed) -> bytes:
        try:
            return canonical_bytes(signed_obj.to_dict())
        except Exception as e:
            raise SerializationError from e


def file_bytes(signatures, signed: dict, signed_bytes: bytes, is_json: bool) -> bytes:
    """A metadata file: ``signed_bytes`` (the canonical JSON of ``signed``) embedded when
    ``is_json`` says it is valid JSON, else ``signed`` serialised as python-tuf would.

    ``signatures`` are Signature objects, in the order they were added.
    """
    dicts = [s.to_dict() for s in signatures]
    encoded = json.dumps(dicts, sort_keys=True, separators=(",", ":")).encode()
    if not is_json:
        signed_bytes = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    return b'{"signatures":' + encoded + b',"signed":' + signed_bytes + b"}"


class MetadataFileSerializer(MetadataSerializer):
    """Metadata → file bytes: the signed part once, in canonical form (python-tuf's compact
    JSONSerializer serialises it again, with ``\\uXXXX`` escapes). Metadata with unrecognised
    envelope fields is handed to that serializer."""

    def serialize(self, metadata_obj: Metadata) -> bytes:
        if metadata_obj.unrecognized_fields:
            return _FALLBACK_FILE_SERIALIZER.serialize(metadata_obj)
        try:
            signed = metadata_obj.signed.to_dict()
            return file_bytes(metadata_obj.signatures.values(), signed, *_canonical(signed))
        except Exception as e:
            raise SerializationError("Failed to serialize JSON") from e


SIGNED_SERIALIZER = CanonicalSerializer()
FILE_SERIALIZER = MetadataFileSerializer()


def sign_to_bytes(md: Metadata, signer: Signer) -> bytes:
    """Sign ``md`` (replacing its signatures) and return its file bytes, encoding once."""
    signed = md.signed.to_dict()
    payload, is_json = _canonical(signed)
    signature = _sign(signer, payload)
    md.signatures.clear()
    md.signatures[signature.keyid] = signature
    if md.unrecognized_fields:
        return _FALLBACK_FILE_SERIALIZER.serialize(md)
    return file_bytes([signature], signed, payload, is_json)


def sign_dict_to_bytes(signed: dict, signer: Signer, *, types_checked: bool = False) -> bytes:
    """Sign a ``signed`` dict built without python-tuf's classes; returns the file bytes.

    ``types_checked``: the caller guarantees ``signed`` holds only exact dicts with string
    keys, lists, strings, ints, booleans and None.
    """
    payload, is_json = _canonical(signed, types_checked)
    return file_bytes([_sign(signer, payload)], signed, payload, is_json)


def _sign(signer: Signer, payload: bytes) -> Signature:
    try:
        return signer.sign(payload)
    except Exception as e:  # what Metadata.sign raises
        raise UnsignedMetadataError(f"Failed to sign: {e}") from e
