import pytest
from django.core.files.base import ContentFile

from cheeseshop.packaging.storage import packages_storage
from cheeseshop.packaging.tasks import StoredFileMismatch, verify_stored_file
from tests.index.builders import make_file, make_project, make_release
from tests.upload.conftest import packages_dir  # noqa: F401  (per-test storage directory)

pytestmark = pytest.mark.django_db


def test_verify_stored_file_accepts_the_recorded_bytes():
    file = make_file(make_release(make_project("checked")), content=b"exact bytes")
    result = verify_stored_file.enqueue(file.id)
    assert result.return_value == file.blake2_256_digest


def test_verify_stored_file_fails_when_storage_lost_the_bytes():
    file = make_file(make_release(make_project("corrupt")), content=b"exact bytes")
    storage = packages_storage()
    storage.delete(file.path)
    storage.save(file.path, ContentFile(b"other bytes"))
    result = verify_stored_file.enqueue(file.id)
    assert result.status == "FAILED"
    assert result.errors[0].exception_class is StoredFileMismatch


def test_verify_stored_file_has_nothing_to_do_for_a_file_deleted_since():
    file = make_file(make_release(make_project("gone")), content=b"exact bytes")
    file_id = file.id
    file.delete()
    result = verify_stored_file.enqueue(file_id)
    assert (result.status, result.return_value) == ("SUCCESSFUL", None)
