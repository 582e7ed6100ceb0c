import pytest
from django.db import connection


@pytest.fixture
def database_down(transactional_db, tmp_path):
    """The default database unreachable for real: the next connection goes to a server that is
    not there (PostgreSQL: a closed port; SQLite: a file that cannot be made). The test's own
    connection is set aside, not closed (an in-memory SQLite test database would be lost)."""
    original = dict(connection.settings_dict)
    connection.ensure_connection()
    test_connection, connection.connection = connection.connection, None
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "directory" / "db.sqlite3")
    else:
        connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)
    connection.connection = test_connection
