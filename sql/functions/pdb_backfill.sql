/*
 * pdb_backfill(template text, tbl regclass, key name DEFAULT NULL,
 *              chunk_time interval DEFAULT '1 second', chunk_rows bigint DEFAULT NULL,
 *              name text DEFAULT NULL, connstr text DEFAULT NULL)
 *     RETURNS bigint
 *
 * Submits a backfill: a durable job (run it with CALL pdb_job_exec, or
 * pdb_job_run) whose tasks are template with {chunk} replaced by a range of
 * key, cut while it runs, in waves of two ranges per connection: each next
 * range is sized to take about chunk_time from the rows per second of the
 * ranges done so far (_pdb_backfill_size: they shrink at once when rows
 * get costlier, behind a trigger, on bloat or under load, and at most
 * double when they get cheaper), or, with chunk_time NULL, has chunk_rows
 * rows; chunk_rows with a chunk_time sizes the first wave (default 1,000).
 * The ranges cover the keys from the smallest to the largest there is now:
 * rows added later with a larger key are left alone. Each range is a task
 * of the job: claimed in the transaction that runs it, so every row is
 * changed exactly once across failures, cancels and resumes; a range that
 * fails (after the runner's retries) stops the run there, and runs again as
 * it was when the job is run again. The job is stored, and its ranges
 * added, through a connection of its own (connstr, NULL for the loopback),
 * committed at once. Returns the job_id.
 *
 * template: an UPDATE or DELETE that leaves key alone (the only statements
 * that change each row once as plain statements while others write, see
 * _pdb_chunk_plain). key: NULL for the primary key, else a unique NOT NULL
 * column; a smallint, integer, bigint or numeric column, NOT NULL, first in
 * a btree index (a range's end is found in it).
 *
 * Errors: 22004 template or tbl NULL; 22023 no {chunk}, chunk_time not
 * above 0, chunk_rows below 1, neither given, or tbl has no rows; 42809 tbl
 * is not a table; 42703 key is no column of tbl; 42P10 no key given and tbl
 * has no primary key nor unique NOT NULL column; 42804 key is not of an
 * integer or numeric type; 55000 key may be NULL or has no index; 0A000 the
 * template is not an UPDATE or DELETE leaving key alone; those of the
 * connection.
 */
CREATE FUNCTION @extschema@.pdb_backfill(template text, tbl regclass, key name DEFAULT NULL,
                                         chunk_time interval DEFAULT '1 second', chunk_rows bigint DEFAULT NULL,
                                         name text DEFAULT NULL, connstr text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key      name;
    v_min      numeric;
    v_max      numeric;
    e_state    text;
    e_message  text;
    e_detail   text;
    e_hint     text;
BEGIN
    BEGIN
        PERFORM @extschema@._pdb_backfill_check(template, tbl, chunk_time, chunk_rows);
        v_key := coalesce(key, @extschema@._pdb_chunk_key(tbl));
        IF v_key IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_column_reference',
                MESSAGE = format('%s has no key to cut ranges of', tbl),
                DETAIL  = 'It has no primary key and no unique NOT NULL column of one of the types pdb_backfill cuts.',
                HINT    = 'Name an indexed integer column: key => ''id''.';
        END IF;
        PERFORM @extschema@._pdb_backfill_key(tbl, v_key);  -- (its type, checked)
        IF NOT @extschema@._pdb_chunk_plain(template, v_key) THEN
            RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
                MESSAGE = 'a backfill''s template must be an UPDATE or DELETE that leaves the key alone',
                DETAIL  = format('Only such statements change each row exactly once, range by range, while others '
                                 'write to %s; this one inserts, merges, reads or sets %I.', tbl, v_key),
                HINT    = 'For anything else, run pdb_tasks(template, tbl, chunks) with pdb_run in one transaction.';
        END IF;
        EXECUTE format('SELECT min(%1$I)::numeric, max(%1$I)::numeric FROM %2$s', v_key, tbl) INTO v_min, v_max;
        IF v_min IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('%s has no rows to backfill', tbl);
        END IF;
        RETURN @extschema@._pdb_autonomous(format(
            'WITH j AS (INSERT INTO %1$s.pdb_job (name) VALUES (%2$L) RETURNING job_id),
                  b AS (INSERT INTO %1$s.pdb_job_backfill (job_id, tbl, key, template, chunk_time, chunk_rows,
                                                           key_min, key_max, next_key)
                        SELECT j.job_id, %3$L::oid, %4$L, %5$L, %6$L::interval, %7$L::bigint, %8$L, %9$L, %8$L FROM j)
             SELECT job_id::text FROM j',
            '@extschema@', name, tbl::oid, v_key, template, chunk_time, chunk_rows, v_min, v_max), connstr)::bigint;
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

COMMENT ON FUNCTION @extschema@.pdb_backfill(text, regclass, name, interval, bigint, text, text) IS
'Submit a backfill: a durable job of key ranges of a table, each sized while it runs to take about chunk_time';
