/*
 * pdb_result, pdb_target_result: the rows of pdb_run and pdb_job_run, and of
 * pdb_run_at and pdb_broadcast (the same, then target). Declared once here so
 * that every function returns the same columns, and so that callers can
 * declare variables and tables of these types.
 *
 *   task_id      the task's 1-based position in tasks (in a job: its number)
 *   status       ok, error, timeout, cancelled, skipped; with atomic also
 *                'rolled back' and 'prepared'
 *   result       first column of the first row of the task's last result, or
 *                its command tag; NULL for no rows, several columns, errors
 *   sqlstate, error, detail, hint   the remote error
 *   started_at, finished_at         when the task was sent, and finished
 *   conn_name    the dblink connection it ran on
 *   attempts     how many times it ran
 *   task         the statement as given (in a job: the job's task)
 *   target       where it ran (pdb_target_result), passwords masked; NULL =
 *                this database
 */
CREATE TYPE @extschema@.pdb_result AS (
    task_id     integer,
    status      text,
    result      text,
    sqlstate    text,
    error       text,
    started_at  timestamptz,
    finished_at timestamptz,
    detail      text,
    hint        text,
    conn_name   text,
    attempts    integer,
    task        text
);

CREATE TYPE @extschema@.pdb_target_result AS (
    task_id     integer,
    status      text,
    result      text,
    sqlstate    text,
    error       text,
    started_at  timestamptz,
    finished_at timestamptz,
    detail      text,
    hint        text,
    conn_name   text,
    attempts    integer,
    task        text,
    target      text
);

COMMENT ON TYPE @extschema@.pdb_result IS 'One task''s outcome: the rows of pdb_run and pdb_job_run';
COMMENT ON TYPE @extschema@.pdb_target_result IS 'One task''s outcome and where it ran: the rows of pdb_run_at and pdb_broadcast';
