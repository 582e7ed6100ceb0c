from tests.admin.conftest import staff, staff_client, uploaded  # noqa: F401
from tests.upload.conftest import packages_dir, post_upload, token, user  # noqa: F401
