/*
 * _pdb_open(dblink_schema name, conn text, connstr text, setup text[],
 *           call_id bigint, slot integer) RETURNS integer
 *
 * Opens the dblink connection named conn with connstr (a libpq connection
 * string or a dblink_fdw foreign server name), prepares its session with
 * _pdb_prepare, records it in pg_temp._pdb_conns and returns the worker's
 * backend pid when the worker is a backend of this server, else NULL (pdb_run
 * watches local workers for lock waits on its caller).
 * Errors: 42704 connstr has no "=", is no URI and names no foreign server (a
 * misspelt server name); those of dblink_connect (08001, 2F003 "password is
 * required", ...), with every password masked (_pdb_mask), a 2F003 with a
 * HINT that says how a role without superuser connects (with a password;
 * when the server did not ask for it, the pg_hba.conf line that makes it
 * ask; for a server with use_scram_passthrough, PostgreSQL 18, a SCRAM login
 * of this session); 53300 when the server refused the connection for want of a free
 * slot (recognised by libpq's English message); those of _pdb_prepare. The
 * caller closes what is left open.
 */
CREATE FUNCTION @extschema@._pdb_open(dblink_schema name, conn text, connstr text, setup text[],
                                      call_id bigint, slot integer)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_worker   record;
    ex_state   text;
    ex_message text;
    ex_detail  text;
    ex_hint    text;
    v_advice   text;
BEGIN
    -- a target without '=' that is no URI names a foreign server: dblink would take a misspelt name for a
    -- connection string ('missing "=" after ...')
    IF strpos(connstr, '=') = 0 AND connstr !~* '^\s*postgres(ql)?://'
       AND NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = connstr) THEN
        RAISE EXCEPTION USING ERRCODE = 'undefined_object',
            MESSAGE = format('foreign server "%s" does not exist', connstr),
            DETAIL  = 'A target without "=" that is not a postgresql:// URI names a dblink_fdw foreign server.',
            HINT    = CASE WHEN connstr = current_setting('parallel_dblink.loopback', true)
                           THEN 'It is the value of parallel_dblink.loopback: correct that setting. '
                           ELSE '' END
                      || 'Foreign servers are listed by \des in psql; a connection string reads like ''dbname=app''.';
    END IF;
    BEGIN
        EXECUTE format('SELECT %I.dblink_connect($1, $2)', dblink_schema) USING conn, connstr;
    EXCEPTION WHEN others THEN
        GET STACKED DIAGNOSTICS ex_state = RETURNED_SQLSTATE, ex_message = MESSAGE_TEXT,
                                ex_detail = PG_EXCEPTION_DETAIL, ex_hint = PG_EXCEPTION_HINT;
        IF ex_detail ~ '(too many clients|too many connections for|remaining connection slots are reserved)' THEN
            ex_state := '53300';
        ELSIF ex_state = '2F003' AND ex_detail ~ '(does not request a password|may only connect using credentials they provide)' THEN
            -- a password was given, but the server let the role in without asking for it (the detail
            -- of dblink before 16, and of 16 and later)
            v_advice := 'The server let the role in without asking for its password (trust or peer in '
                        'pg_hba.conf), which dblink refuses to a role without superuser: add a scram-sha-256 '
                        '(or md5) line to pg_hba.conf for this role and the address the connection uses '
                        '(host for TCP, local for a socket) above the trust line, and reload.';
        ELSIF ex_state = '2F003' AND EXISTS (SELECT FROM pg_foreign_server
                                              WHERE srvname = connstr
                                                AND srvoptions::text ~* 'use_scram_passthrough=(true|on|yes|1|t)\M') THEN
            -- (PostgreSQL 18) the server would pass on the caller's SCRAM login, and there is none
            v_advice := 'The foreign server passes on the SCRAM login of this session (use_scram_passthrough), '
                        'and this session did not log in with a SCRAM password: log in over a connection that '
                        'pg_hba.conf authenticates with scram-sha-256 (not trust or peer, nor SET ROLE in another '
                        'role''s session), the role having the same password on both servers.';
        ELSIF ex_state = '2F003' THEN
            v_advice := 'A role without superuser must connect with a password: give connstr with '
                        'password=..., or name a dblink_fdw foreign server with a user mapping for the '
                        'role that has one; for the default connection to this database, set '
                        'parallel_dblink.loopback to either.';
        END IF;
        -- (what the server said masked; the advice is ours, and its words are no password)
        PERFORM @extschema@._pdb_raise(ex_state, @extschema@._pdb_mask(ex_message, connstr),
                                       @extschema@._pdb_mask(ex_detail, connstr),
                                       concat_ws(' ', nullif(@extschema@._pdb_mask(ex_hint, connstr), ''), v_advice));
    END;
    v_worker := @extschema@._pdb_prepare(dblink_schema, conn, setup);
    EXECUTE 'INSERT INTO pg_temp._pdb_conns (call_id, slot, conn_name, worker_pid, opened_at)
             VALUES ($1, $2, $3, $4, clock_timestamp())'
        USING call_id, slot, conn, v_worker.pid;
    RETURN CASE WHEN v_worker.local THEN v_worker.pid END;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_open(name, text, text, text[], bigint, integer) IS
'internal: open, prepare and record one worker connection';
