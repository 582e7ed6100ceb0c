"""On PostgreSQL, a trigger refuses UPDATE, DELETE and TRUNCATE on audit_event.

Two session settings open a door, each for one purpose, and each visible in the code that sets
it: ``cheeseshop.audit_expiry = on`` lets the retention policy delete the oldest events
(cheeseshop.audit.retention, which records that it did); ``cheeseshop.audit_truncate = on`` lets
a whole-database flush (the test suite's) empty the table. Nothing opens a door for UPDATE.
SQLite has no such trigger: the hash chain shows changes there (``cheeseshop audit verify``).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('cheeseshop.audit_expiry', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'TRUNCATE' AND current_setting('cheeseshop.audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Events are never changed; only cheeseshop audit expire removes old ones.';
END;
$$;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)  # no parameters: "%" is plpgsql's, not ours

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_event_chain"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
