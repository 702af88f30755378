/*
 * pdb_job_cancel(job_id bigint, connstr text DEFAULT NULL) RETURNS boolean
 *
 * Cancels a durable job at once (on a connection of its own, committed
 * whatever the caller does): no task of it starts any more, also in a
 * pdb_job_run or pdb_job_exec already running; tasks running go on to their
 * end. Returns true, or false if it was cancelled already or is done (a
 * finished job is not relabelled). pdb_job_uncancel undoes it.
 * Errors: 22004 job_id NULL; 42704 no such job (or not the caller's).
 */
CREATE FUNCTION @extschema@.pdb_job_cancel(job_id bigint, connstr text DEFAULT NULL)
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
            'WITH c AS (UPDATE %1$s.pdb_job SET cancelled_at = clock_timestamp()
                         WHERE job_id = %2$s AND cancelled_at IS NULL
                           AND %1$s._pdb_job_left(%2$s)
                        RETURNING 1)
             SELECT CASE WHEN EXISTS (SELECT FROM c) THEN ''cancelled''
                         WHEN EXISTS (SELECT FROM %1$s.pdb_job WHERE job_id = %2$s) THEN ''already''
                         ELSE ''missing'' END',
            '@extschema@', job_id), connstr);
        IF v_state = 'missing' THEN
            RAISE EXCEPTION USING ERRCODE = 'undefined_object', MESSAGE = format('job %s does not exist', job_id);
        END IF;
        RETURN v_state = 'cancelled';
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

COMMENT ON FUNCTION @extschema@.pdb_job_cancel(bigint, text) IS
'Cancel a durable job: none of its tasks starts any more';
