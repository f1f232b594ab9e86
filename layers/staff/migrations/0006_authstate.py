from django.db import migrations

# A token that changes whenever anything a caller's identity or scope rests on changes: an
# assignment, an API token issued or revoked, an account's activity, superuser flag or password,
# a session ended (logout, flush). Any statement, any writer, rolled back with its transaction,
# as grids_gridstate is for grids. The hot path of grid tiles (geogrid/hotpath.py) keeps a
# caller's scope only while this token (and the grids' one) stays the same, so a revocation or
# a reassignment reaches it within GEOGRID_HOT_TOKEN_SECONDS, not after a cache's lifetime.
# Columns that change in ordinary use (last_login, last_used_at, a session's data) do not bump it.
FORWARD = """
CREATE TABLE staff_authstate (
    id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    token uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO staff_authstate DEFAULT VALUES;
CREATE FUNCTION staff_authstate_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE staff_authstate SET token = gen_random_uuid() WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER staff_authstate_assignment AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON staff_assignment
    FOR EACH STATEMENT EXECUTE FUNCTION staff_authstate_bump();
CREATE TRIGGER staff_authstate_token_change AFTER INSERT OR DELETE OR TRUNCATE ON staff_apitoken
    FOR EACH STATEMENT EXECUTE FUNCTION staff_authstate_bump();
CREATE TRIGGER staff_authstate_token_revoke AFTER UPDATE OF revoked_at, key_hash, user_id ON staff_apitoken
    FOR EACH STATEMENT EXECUTE FUNCTION staff_authstate_bump();
CREATE TRIGGER staff_authstate_user_change AFTER DELETE OR TRUNCATE ON auth_user
    FOR EACH STATEMENT EXECUTE FUNCTION staff_authstate_bump();
CREATE TRIGGER staff_authstate_user_update AFTER UPDATE OF is_active, is_superuser, password ON auth_user
    FOR EACH STATEMENT EXECUTE FUNCTION staff_authstate_bump();
CREATE TRIGGER staff_authstate_session AFTER DELETE OR TRUNCATE ON django_session
    FOR EACH STATEMENT EXECUTE FUNCTION staff_authstate_bump();
"""
REVERSE = """
DROP TRIGGER IF EXISTS staff_authstate_assignment ON staff_assignment;
DROP TRIGGER IF EXISTS staff_authstate_token_change ON staff_apitoken;
DROP TRIGGER IF EXISTS staff_authstate_token_revoke ON staff_apitoken;
DROP TRIGGER IF EXISTS staff_authstate_user_change ON auth_user;
DROP TRIGGER IF EXISTS staff_authstate_user_update ON auth_user;
DROP TRIGGER IF EXISTS staff_authstate_session ON django_session;
DROP FUNCTION IF EXISTS staff_authstate_bump();
DROP TABLE IF EXISTS staff_authstate;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("staff", "0005_party_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
