/*
 * _pdb_lean_send(conns text[], tasks text[]) RETURNS timestamptz[]
 *
 * Sends task i on conns[i] (kept connections, see _pdb_lean_take), each
 * labelled as the engine labels a task (a comment 'pdb_run:<caller
 * pid>:<i>/<n>' before it, which pdb_activity reads); returns when each was
 * sent.
 * Errors: 08006 a task could not be sent (its worker went away since it
 * was taken): the caller closes every connection.
 */
CREATE FUNCTION @extschema@._pdb_lean_send(conns text[], tasks text[])
RETURNS timestamptz[]
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_n     integer := cardinality(conns);
    v_label text := format('/* pdb_run:%s:', pg_backend_pid());
    v_at    timestamptz[] := ARRAY[]::timestamptz[];
BEGIN
    FOR v_i IN 1..v_n LOOP
        IF "@dblink@".dblink_send_query(conns[v_i], format(E'%s%s/%s */\n%s', v_label, v_i, v_n, tasks[v_i])) <> 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'connection_failure',
                MESSAGE = format('could not send task %s on its kept connection', v_i),
                DETAIL  = format('dblink says: %s', "@dblink@".dblink_error_message(conns[v_i]));
        END IF;
        v_at := v_at || clock_timestamp();
    END LOOP;
    RETURN v_at;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_lean_send(text[], text[]) IS
'internal: send each task of a small call on its kept connection, labelled';
