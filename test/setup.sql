-- Shared preamble of every pgTAP file (pg_regress and pg_prove run the same files).
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_ROLLBACK 1
\set ON_ERROR_STOP true
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS parallel_dblink CASCADE;

-- Worker backends exit a moment after their connection closes: wait (at most
-- 5 s) until none of this session's is left, and return how many remain.
CREATE FUNCTION pg_temp.pdb_workers_left() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_left bigint;
BEGIN
    FOR i IN 1..500 LOOP
        PERFORM pg_stat_clear_snapshot();
        SELECT count(*) INTO v_left FROM pg_stat_activity
         WHERE application_name ~ ('^pdb_run:' || pg_backend_pid() || '(:| |$)');
        EXIT WHEN v_left = 0;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN v_left;
END
$$;

-- The dblink connections of this session that pdb_run opened (none after any call).
CREATE FUNCTION pg_temp.pdb_conns_left() RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM unnest(coalesce(dblink_get_connections(), '{}')) AS c
     WHERE c LIKE 'pdb\_' || pg_backend_pid() || '\_%'
$$;

-- Run sql (as role, when not NULL) and return the error it raises, as
-- {sqlstate, message, detail, hint, context}; NULL when it raises none.
CREATE FUNCTION pg_temp.error_of(role text, sql text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    v_state   text;
    v_message text;
    v_detail  text;
    v_hint    text;
    v_context text;
BEGIN
    IF role IS NOT NULL THEN
        PERFORM set_config('role', role, true);
    END IF;
    EXECUTE sql;
    PERFORM set_config('role', 'none', true);
    RETURN NULL;
EXCEPTION WHEN query_canceled OR others THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT,
                            v_context = PG_EXCEPTION_CONTEXT;
    RETURN ARRAY[v_state, v_message, v_detail, v_hint, v_context];
END
$$;

-- Run sql as role (SET LOCAL ROLE, undone on return): 'ok:<first column>' or 'error:<SQLSTATE>'.
CREATE FUNCTION pg_temp.as_role(role text, sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_result text;
BEGIN
    PERFORM set_config('role', role, true);
    EXECUTE sql INTO v_result;
    PERFORM set_config('role', 'none', true);
    RETURN 'ok:' || coalesce(v_result, '');
EXCEPTION WHEN others THEN
    RETURN 'error:' || SQLSTATE;
END
$$;

-- Wait (at most 5 s) until the query what returns true; whether it did.
CREATE FUNCTION pg_temp.until(what text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_ok boolean;
BEGIN
    FOR i IN 1..500 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXECUTE what INTO v_ok;
        EXIT WHEN v_ok;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN coalesce(v_ok, false);
END
$$;
