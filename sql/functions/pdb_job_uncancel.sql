/*
 * pdb_job_uncancel(job_id bigint, connstr text DEFAULT NULL) RETURNS boolean
 *
 * Undoes pdb_job_cancel (on a connection of its own, committed whatever the
 * caller does): the job can run again, and pdb_job_run or pdb_job_exec go on
 * with the tasks not done. Returns true, or false if it was not cancelled.
 * Errors: 22004 job_id NULL; 42704 no such job (or not the caller's).
 */
CREATE FUNCTION @extschema@.pdb_job_uncancel(job_id bigint, connstr text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state    text;
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    BEGIN
        IF job_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed', MESSAGE = 'job_id must not be null';
        END IF;
        v_state := @extschema@._pdb_autonomous(format(
            'WITH c AS (UPDATE %1$s.pdb_job SET cancelled_at = NULL
                         WHERE job_id = %2$s AND cancelled_at IS NOT NULL RETURNING 1)
             SELECT CASE WHEN EXISTS (SELECT FROM c) THEN ''uncancelled''
                         WHEN EXISTS (SELECT FROM %1$s.pdb_job WHERE job_id = %2$s) THEN ''not cancelled''
                         ELSE ''missing'' END',
            '@extschema@', job_id), connstr);
        IF v_state = 'missing' THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_object', MESSAGE = format('job %s does not exist', job_id);
        END IF;
        RETURN v_state = 'uncancelled';
    EXCEPTION WHEN query_canceled OR others THEN
        GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        -- raised again from here: its context shows the caller's call and none of the helpers'
        IF e_detail = '' AND e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message;
        ELSIF e_hint = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail;
        ELSIF e_detail = '' THEN
            RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, HINT = e_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = e_state, MESSAGE = e_message, DETAIL = e_detail, HINT = e_hint;
    END;
END
$$;

COMMENT ON FUNCTION @extschema@.pdb_job_uncancel(bigint, text) IS
'Undo pdb_job_cancel: the job can run again';
