"""Receiving the distribution file: stream it to a temporary file, hashing as it arrives.

A Django upload handler sees the bytes as the multipart parser reads them off the socket, so
the size limit is enforced while streaming: an oversized file is never written in full.
"""

import hashlib
import tempfile
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser


@dataclass(frozen=True)
class Digests:
    md5: str
    sha256: str
    blake2_256: str


class UploadParser(MultiPartParser):
    """Django's multipart parser, remembering each filename exactly as the client sent it.

    Django drops path parts and unprintable characters from filenames; the upload rules must
    see (and refuse) such names rather than store a silently different one.
    """

    last_raw_file_name = ""

    def sanitize_file_name(self, file_name):
        self.last_raw_file_name = file_name
        return super().sanitize_file_name(file_name)


class ReceivedFile(UploadedFile):
    """The distribution as received: a temporary file with its size and digests, and the
    filename as the client sent it (``raw_name``)."""

    def __init__(self, file, raw_name: str, content_type: str, size: int, digests: Digests):
        super().__init__(file, name=raw_name, content_type=content_type, size=size)
        self.raw_name = raw_name
        self.digests = digests

    def temporary_file_path(self) -> str:
        return self.file.name


class HashingUploadHandler(FileUploadHandler):
    """Writes the ``content`` part to a temporary file while hashing it, up to ``max_size``.

    Larger files stop the upload (``too_large`` is set); other file parts are refused
    (``unexpected_file_fields``), since only ``content`` may be a file.
    """

    def __init__(self, request=None, *, max_size: int, parser: UploadParser | None = None):
        super().__init__(request)
        self.max_size = max_size
        self.parser = parser
        self.too_large = False
        self.unexpected_file_fields: list[str] = []
        self._file = None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, *a):
        super().new_file(field_name, file_name, content_type, content_length, charset, *a)
        self._skip = field_name != "content"
        if self._skip:
            self.unexpected_file_fields.append(field_name)
            return
        self._raw_name = self.parser.last_raw_file_name if self.parser else file_name
        self._size = 0
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._blake2 = hashlib.blake2b(digest_size=32)
        self.close()  # a second "content" part replaces the first (the last one counts)
        self._file = tempfile.NamedTemporaryFile(prefix="cheeseshop-upload-")  # noqa: SIM115

    def receive_data_chunk(self, raw_data, start):
        if self._skip:
            return
        self._size += len(raw_data)
        if self._size > self.max_size:
            self.too_large = True
            self.close()
            raise StopUpload(connection_reset=False)
        self._md5.update(raw_data)
        self._sha256.update(raw_data)
        self._blake2.update(raw_data)
        self._file.write(raw_data)
        return

    def file_complete(self, file_size):
        if self._skip:
            return None
        self._file.flush()
        self._file.seek(0)
        digests = Digests(
            md5=self._md5.hexdigest(),
            sha256=self._sha256.hexdigest(),
            blake2_256=self._blake2.hexdigest(),
        )
        return ReceivedFile(self._file, self._raw_name, self.content_type, self._size, digests)

    def close(self) -> None:
        """Delete the temporary file (the ``ReceivedFile`` reads it) if one was opened."""
        if self._file is not None:
            self._file.close()
