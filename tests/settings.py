"""Settings for the test suite: cheeseshop's own, on a throwaway data directory.

The suite runs on SQLite by default and on PostgreSQL when CHEESESHOP_TEST_DATABASE_URL is set.
"""

import atexit
import os
import shutil
import tempfile

if "CHEESESHOP_DATA_DIR" not in os.environ:
    os.environ["CHEESESHOP_DATA_DIR"] = tempfile.mkdtemp(prefix="cheeseshop-test-")
    atexit.register(shutil.rmtree, os.environ["CHEESESHOP_DATA_DIR"], ignore_errors=True)
if os.environ.get("CHEESESHOP_TEST_DATABASE_URL"):
    os.environ["CHEESESHOP_DATABASE_URL"] = os.environ["CHEESESHOP_TEST_DATABASE_URL"]
os.environ.setdefault("CHEESESHOP_TASKS_BACKEND", "immediate")
# The test client's host, as `serve` sets its own address when none is configured.
os.environ.setdefault("CHEESESHOP_BASE_URL", "http://testserver")
os.environ.setdefault("CHEESESHOP_ALLOWED_HOSTS", "*")
# The audit table refuses TRUNCATE on PostgreSQL; the test runner's flush between
# transactional tests is the one allowed exception.
os.environ.setdefault("PGOPTIONS", "-c cheeseshop.audit_truncate=on")
# The two-factor policy is on by default for users; the suite turns it on where it tests it.
os.environ.setdefault("CHEESESHOP_UPLOAD_REQUIRES_2FA", "false")
os.environ.setdefault("CHEESESHOP_MANAGE_REQUIRES_2FA", "false")

from cheeseshop.settings import *  # noqa: F403

# Hashing cost is not what these tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
