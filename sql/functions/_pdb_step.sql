/*
 * _pdb_step(st _pdb_state, until timestamptz, row_type anyelement)
 *     RETURNS SETOF anyelement
 *
 * Advances a call of the engine (the state _pdb_start made) until every
 * task is settled, or until the time until (NULL: no limit), and hands its
 * state back: the state is the step's one row when row_type is
 * NULL::_pdb_state (the outcome rows come from _pdb_rows once it is
 * finished); in query mode the rows of the tasks go out as they are read,
 * and the step runs to the end. The first step opens the pool
 * (_pdb_launch); the step that settles the last task ends the call
 * (_pdb_finish: closes everything, raises a query's failure, settles atomic).
 * Between two steps the connections stay open and tasks keep running, so a
 * procedure can COMMIT in between (pdb_job_exec: a step of about half a
 * second, then a commit); pdb_run and its kin run all in one step.
 *
 * A step is the event loop, which polls, drains and feeds every connection
 * inline: a call of a PL/pgSQL function costs a few microseconds, about as
 * much as the coordinator's whole work for a tiny task. Each connection
 * (slot) is a small state machine:
 *
 *   idle   nothing sent; takes the next unit of its target
 *   run    a unit was sent; its results are read as they come
 *   maybe  a task's results ended with "no rows": that is its end, or a
 *          one-column result without rows with more to come. dblink cannot
 *          tell these apart, but only an idle connection accepts a query:
 *          sending the next unit (or a probe) tells which
 *   ended  a single statement's result and its end were read in one call:
 *          the task is settled when the slot takes its next unit, or none
 *   probe  'SELECT 1' was sent to confirm an end; idle once it is drained
 *   reset  'DISCARD ALL' was sent after a task that may leave session state
 *          (or an open transaction: 25001 for that task); then setup again
 *   lost   the worker went away: its unit is settled and the slot reopened
 *   dead   it could not be (re)opened: with isolate_targets, when the last
 *          slot of a target dies, the target's remaining tasks fail with
 *          the connection error; without, the error is raised
 *   closed pdb_set_conns asked for fewer connections: closed once idle
 *
 * Live control: pdb_pause holds the call as a throttle does (no new unit
 * starts; the workers' labels say 'paused'); pdb_set_conns closes idle
 * connections over the new number, or opens more (_pdb_grow). Both are read
 * from pdb_run_control every second while its epoch moved (_pdb_control).
 *
 * A unit of work is one task or a batch (positions s_first..s_last of a
 * target, see _pdb_plan). Every task's outcome is one _pdb_outcome (status
 * and error), written whole; a task is settled (r_done) once its outcome is
 * final. An error, a cancel or a statement_timeout of the caller cancels and
 * closes everything (_pdb_abort) and is raised again (the public function
 * raises it once more, from itself, so that its context shows none of the
 * engine's functions).
 *
 * atomic: each task runs as BEGIN; task; PREPARE TRANSACTION 'pdb_<run>_<task>'
 * (run is a random uuid, task the task number); see _pdb_atomic_begin and
 * _pdb_finish. The decision to commit is recorded durably in between.
 */
CREATE FUNCTION @extschema@._pdb_step(st @extschema@._pdb_state, until timestamptz, row_type anyelement)
RETURNS SETOF anyelement
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_bound       CONSTANT name := '@dblink@'::name;  -- dblink's schema at install (sql/bind_dblink.sql)
    c_probe       CONSTANT text := 'SELECT 1';
    c_reset       CONSTANT text := 'DISCARD ALL';
    c_min_sleep   CONSTANT double precision := CAST(0.0005 AS double precision);  -- pg_sleep waits whole ms: 1 ms
    c_max_sleep   CONSTANT double precision := CAST(0.0635 AS double precision);  -- 64 ms
    c_spin        CONSTANT double precision := CAST(0.001 AS double precision);   -- units shorter poll without sleep
    c_spin_for    CONSTANT interval := make_interval(secs => c_spin);             -- so, for at most this long after an event
    c_spin_cold   CONSTANT interval := interval '3 milliseconds';  -- the same before any unit ended (see the back off)
    c_check_every CONSTANT interval := interval '1 second';
    c_hold_fresh  CONSTANT interval := interval '10 milliseconds';  -- a unit starts on a throttles' verdict this fresh
    c_ctl_window  CONSTANT interval := interval '5 seconds';   -- read pdb_run_control this long after its epoch moved
    c_lock_space  CONSTANT integer := 1885627490;              -- the budget's advisory locks (_pdb_budget)
    c_stream_min  CONSTANT interval := interval '4 milliseconds';   -- look for a worker sending rows after this, ...
    c_stream_max  CONSTANT interval := interval '64 milliseconds';  -- ... and at least this often
    c_stream_spin CONSTANT interval := interval '250 microseconds'; -- poll a streaming worker without sleep this long
    c_stream_step CONSTANT interval := interval '1 millisecond';    -- the shortest gap between looks that is a sleep
    c_stream_burst CONSTANT interval := interval '16 milliseconds'; -- how long a look polls a worker of no gap
    c_ok          CONSTANT @extschema@._pdb_outcome := ROW('ok', NULL, NULL, NULL, NULL);
    c_skipped     CONSTANT @extschema@._pdb_outcome := ROW('skipped', NULL, NULL, NULL, NULL);
    v_until     timestamptz := coalesce(until, 'infinity');
    v_finishing boolean := false;  -- _pdb_finish runs: it cleans up after its own errors
    -- the call's options (see pdb_run)
    v_batch_size    integer;
    v_task_timeout  interval;
    v_retries       integer;
    v_setup         text[];
    v_progress      boolean;
    v_same_snapshot boolean;
    v_atomic        boolean;
    v_isolate       boolean;   -- isolate_targets
    v_caller        text;
    v_commits       boolean;   -- the caller commits between steps: it blocks no task for long
    v_query     boolean;       -- rows, not outcomes
    v_ff        boolean;       -- fail_fast, atomic and query stop at the first failure
    v_skip      integer[];     -- position -> results before the task's rows (query mode: BEGIN, SET TRANSACTION)
    v_sql_rows  text;          -- how a query's rows are read
    v_cancelled @extschema@._pdb_outcome;  -- what a task cancelled by fail_fast or atomic gets
    v_n         integer;       -- how many tasks
    v_nt        integer;       -- how many targets
    v_ns        integer;       -- how many slots
    v_plan      @extschema@._pdb_plan;
    v_snapshot  text;
    v_started   timestamptz;
    v_report_at timestamptz;
    v_retry     integer[];     -- positions to run alone, before the next new task
    v_later     integer[];     -- positions to retry after a backoff ...
    v_later_at  timestamptz[]; -- ... not before these times
    v_stop      boolean;       -- fail_fast was triggered
    v_stopped   boolean;       -- and acted upon
    v_wake      timestamptz;
    v_dbl       name;
    v_call      bigint;
    v_prefix    text;
    v_cmm       text := current_setting('client_min_messages');
    v_label     text;          -- a unit's label comment, before and after its first task's number
    v_label_end text;
    v_thr       @extschema@._pdb_throttle;  -- the throttles (_pdb_throttle_settings)
    v_throttles boolean;       -- one is set: checked every c_check_every
    v_nice      double precision;
    v_held      text;          -- why no new unit starts now (_pdb_held), or NULL
    v_said      text;          -- what the workers' labels and the progress NOTICE said last
    v_held_at   timestamptz;   -- when v_held was checked
    v_hold_at   timestamptz;   -- the next check of the labels
    -- live control (pdb_pause, pdb_set_conns and their pdb_job_ kin: pdb_run_control)
    v_job       bigint;
    v_via       text;          -- how _pdb_control reads it: NULL here, else through a connection of its own
    v_epoch     bigint;
    v_ctl_epoch bigint;        -- the epoch last seen ...
    v_ctl_until timestamptz;   -- ... and until when to read the table
    v_ctl       record;        -- what _pdb_control read (paused NULL: it could not)
    v_paused    boolean;
    v_cap       integer;       -- the connections per target asked for now, or NULL
    v_grown     integer;
    v_more      integer[];     -- per target: connections to add
    v_pool      @extschema@._pdb_pool;
    v_shown     integer[];     -- task number -> the number the label shows (a job's task ids), or NULL
    v_done      integer;       -- tasks settled
    v_busy      integer;
    v_there     boolean;       -- a connection's next result is known to be there: read it without a poll
    v_sent      integer;
    v_sql_send  text;          -- the dynamic dblink calls, while dblink is not where it was at install
    v_sql_busy  text;
    v_sql_get   text;
    v_sql_end   text;
    v_bound     boolean;       -- dblink is still where it was at install: static calls
    v_active    boolean;
    v_quiet     timestamptz;
    v_typical   double precision;  -- how long a unit runs, in seconds (a moving average) ...
    v_ran       double precision;  -- ... of these: it ended between the previous poll and the one that
    v_polled    timestamptz;       -- found it done, so the middle of that time counts (a sleep of the
    v_polling   timestamptz;       -- coordinator does not make units look longer)
    v_spread    double precision;  -- how far a unit's run time is from the typical one (a moving average)
    v_alike     boolean;           -- units run alike: v_spread under 1/8 of v_typical
    v_since     timestamptz;       -- the back off counts from this
    v_due       timestamptz;       -- when a running unit would end if it ran the typical time
    v_checked   timestamptz;
    v_look      text;              -- what a look at a worker found (_pdb_stream)
    v_hurry     boolean;           -- a worker streams, or its result is complete: do not sleep
    v_look_at   timestamptz;       -- the earliest s_look of the units running (or that ran) ...
    v_look_gap  timestamptz;       -- ... and of those that stream: wake up then
    v_ended     timestamptz;       -- when the unit whose end was just read ended
    v_task      integer;           -- the position whose result was just read, or which is settled
    v_p         integer;           -- a position
    v_blocked   integer;           -- a slot whose worker the caller blocks
    v_rows      bigint;
    v_open      @extschema@._pdb_opened;
    v_target    integer;           -- the target of the slot at hand
    v_qi        integer;           -- the place of a retry in v_retry
    v_results   text[];            -- what _pdb_batch returned
    f_rows      boolean;       -- the result to read is a query's rows (query mode)
    -- the result just read: its kind ('row', 'novalue', 'empty', 'error'), value, whether its end was
    -- read too (f_and_end asks for it), and whether the worker is gone
    f_and_end   boolean;
    f_kind      text;
    f_value     text;
    f_ended     boolean;
    f_lost      boolean;
    -- a caught error
    ex_sqlstate text;
    ex_message  text;
    ex_detail   text;
    ex_hint     text;
    ex_context  text;
    -- atomic
    v_run       uuid;
    v_gid       text;          -- prefix of the run's prepared transaction names
    -- the next unit of work: one task, or a batch of positions u_first..u_last
    u_first     integer;
    u_last      integer;
    u_retry     boolean;
    u_none      boolean;       -- no new unit now
    u_reset     boolean;
    u_exec      boolean;       -- a batch through _pdb_batch
    u_tasks     text[];        -- its tasks and their tags
    u_tags      text[];
    u_sql       text;
    -- per position (unpacked from v_plan)
    v_tasks     text[];
    v_task_no   integer[];
    v_tgt       integer[];
    v_stateful  boolean[];
    v_batchable boolean[];
    v_single    boolean[];
    v_tag       text[];
    -- per target
    d_connstr   text[];
    d_last      integer[];     -- its last position
    d_next      integer[];     -- its next new position
    d_slots     integer[];     -- live connections
    d_sent      text[];        -- its connection string once a task was sent to it (what to settle when atomic)
    d_exec      boolean[];     -- batches may run through _pdb_batch: this database, until that fails
    d_failure   @extschema@._pdb_outcome[];  -- why it is unusable: its remaining tasks fail so
    -- per slot of the pool
    s_conn      text[];
    s_tgt       integer[];
    s_pid       integer[];     -- the worker's pid when it is a backend of this server
    s_state     text[];        -- idle | run | maybe | ended | probe | reset | lost | dead
    s_first     integer[];     -- its unit's positions
    s_last      integer[];
    s_task      integer[];     -- the position whose result arrives next
    s_since     timestamptz[]; -- when its task's end was read
    s_zero      integer[];     -- results without rows its task gave
    s_reason    text[];        -- why the unit was cancelled: blocked | timeout | cancelled
    s_again     boolean[];     -- its task failed in a way worth a retry
    s_started   timestamptz[];
    s_look      timestamptz[]; -- when to look at its worker next (a large result)
    s_gap       interval[];    -- while it streams: the wait between two looks (else NULL)
    s_failed    boolean[];     -- its batch failed (nothing of it took effect), or its task left a transaction
    s_gen       integer[];     -- how many times it was reopened
    s_exec      boolean[];     -- its unit is a batch through _pdb_batch
    s_nres      integer[];     -- results of its unit read so far (query mode)
    s_rest      timestamptz[]; -- nice: it takes no new unit before this
    s_label     text[];        -- what its worker's application_name says beyond 'pdb_run:<caller pid>'
    -- per position: the outcome
    r_out       @extschema@._pdb_outcome[];
    r_result    text[];
    r_start     timestamptz[];
    r_end       timestamptz[];
    r_conn      text[];
    r_attempts  integer[];
    r_done      boolean[];     -- settled
BEGIN
    IF st.call_id IS NULL THEN
        RETURN;  -- no task
    END IF;
    -- dblink_send_query reports "another command is already in progress" as a
    -- NOTICE; the engine provokes that on purpose (see 'maybe' above)
    IF v_cmm NOT IN ('warning', 'error') THEN
        PERFORM set_config('client_min_messages', 'warning', true);
    END IF;

    BEGIN
        IF st.s_conn IS NULL THEN
            st := @extschema@._pdb_launch(st);
        END IF;
        -- the state, unpacked into plain variables (PL/pgSQL changes an array element in place only there)
        v_batch_size    := st.batch_size;
        v_task_timeout  := st.task_timeout;
        v_retries       := st.retries;
        v_setup         := st.setup;
        v_progress      := st.progress;
        v_same_snapshot := st.same_snapshot;
        v_atomic        := st.atomic;
        v_isolate       := st.isolate_targets;
        v_caller        := st.caller;
        v_commits       := st.commits;
        v_query     := st.query;
        v_ff        := st.fail_fast OR v_atomic OR v_query;
        v_cancelled := ROW('cancelled', '57014', format('task cancelled because another task failed (%s)',
                                                        CASE WHEN v_atomic THEN 'atomic' ELSE 'fail_fast' END), NULL, NULL);
        v_plan      := st.plan;
        v_tasks     := v_plan.tasks;
        v_task_no   := v_plan.task_no;
        v_tgt       := v_plan.tgt;
        v_stateful  := v_plan.stateful;
        v_batchable := v_plan.batchable;
        v_single    := v_plan.single;
        IF v_query THEN
            -- a query's rows come after the results to skip (skip 0: a single query)
            v_single := ARRAY(SELECT k = 0 FROM unnest(st.skip) WITH ORDINALITY AS x(k, o) ORDER BY x.o);
        END IF;
        v_tag       := v_plan.tag;
        d_connstr   := v_plan.connstr;
        d_last      := v_plan.last_pos;
        v_n         := cardinality(v_tasks);
        v_nt        := cardinality(d_connstr);
        v_skip      := st.skip;
        v_snapshot  := st.snapshot;
        v_dbl       := st.dbl;
        v_call      := st.call_id;
        v_started   := st.started;
        v_report_at := st.report_at;
        v_run       := st.run;
        v_gid       := 'pdb_' || replace(v_run::text, '-', '') || '_';
        v_done      := st.done;
        v_stop      := st.stop;
        v_stopped   := st.stopped;
        v_retry     := st.retry;
        v_later     := st.later;
        v_later_at  := st.later_at;
        v_quiet     := st.quiet;
        v_typical   := st.typical;
        v_spread    := st.spread;
        v_polling   := st.polling;
        v_checked   := st.checked;
        v_look_at   := st.look_at;
        d_next      := st.d_next;
        d_slots     := st.d_slots;
        d_sent      := st.d_sent;
        d_exec      := st.d_exec;
        d_failure   := st.d_failure;
        s_conn      := st.s_conn;
        s_tgt       := st.s_tgt;
        s_pid       := st.s_pid;
        s_state     := st.s_state;
        s_first     := st.s_first;
        s_last      := st.s_last;
        s_task      := st.s_task;
        s_since     := st.s_since;
        s_zero      := st.s_zero;
        s_reason    := st.s_reason;
        s_again     := st.s_again;
        s_started   := st.s_started;
        s_look      := st.s_look;
        s_gap       := st.s_gap;
        s_failed    := st.s_failed;
        s_gen       := st.s_gen;
        s_exec      := st.s_exec;
        s_nres      := st.s_nres;
        r_out       := st.r_out;
        r_result    := st.r_result;
        r_start     := st.r_start;
        r_end       := st.r_end;
        r_conn      := st.r_conn;
        r_attempts  := st.r_attempts;
        r_done      := st.r_done;
        v_thr       := st.throttle;
        v_nice      := v_thr.nice;
        v_throttles := v_thr.lag_bytes IS NOT NULL OR v_thr.lag_time IS NOT NULL OR v_thr.max_active IS NOT NULL
                       OR v_thr.query IS NOT NULL;
        v_held      := st.held;
        v_hold_at   := st.hold_at;
        v_held_at   := CAST('-infinity' AS timestamptz);
        v_said      := v_held;
        v_job       := st.job_id;
        v_ctl_epoch := st.ctl_epoch;
        v_ctl_until := st.ctl_until;
        v_paused    := st.paused;
        v_cap       := st.cap;
        v_grown     := st.grown;
        IF NOT v_commits AND current_setting('transaction_isolation') <> 'read committed' THEN
            -- (a change committed after the caller's snapshot is not seen here: read it from a connection of
            -- its own, if this session has a way back to its database)
            BEGIN
                v_via := @extschema@._pdb_default_connstr();
            EXCEPTION WHEN others THEN
                v_via := NULL;
                v_ctl_until := CAST('infinity' AS timestamptz);
            END;
        END IF;
        s_rest      := st.s_rest;
        s_label     := st.s_label;
        v_ns        := cardinality(s_conn);
        v_prefix    := format('pdb_%s_%s_', pg_backend_pid(), v_call);
        v_label     := format('/* pdb_run:%s:', pg_backend_pid());  -- v_label || task || v_label_end
        v_label_end := st.label;
        v_shown     := st.shown;
        v_bound     := v_dbl = c_bound;
        v_sql_send  := format('SELECT %I.dblink_send_query($1, $2)', v_dbl);
        v_sql_busy  := format('SELECT %I.dblink_is_busy($1)', v_dbl);
        v_sql_get   := format('SELECT r.v FROM %I.dblink_get_result($1, true) AS r(v text) LIMIT 1', v_dbl);
        v_sql_end   := format('SELECT FROM %I.dblink_get_result($1, true) AS r(v text)', v_dbl);
        IF v_query THEN
            v_sql_rows := format('SELECT * FROM %I.dblink_get_result($1, true) AS r(%s)', v_dbl,
                                 @extschema@._pdb_columns(pg_typeof(row_type), v_caller));
        END IF;

        LOOP
            v_active := false;

            -- retries whose backoff is over go first in the queue
            IF cardinality(v_later) > 0 THEN
                FOR v_l IN REVERSE cardinality(v_later)..1 LOOP
                    IF v_later_at[v_l] <= clock_timestamp() THEN
                        v_retry    := v_later[v_l] || v_retry;
                        v_later    := v_later[:v_l - 1] || v_later[v_l + 1:];
                        v_later_at := v_later_at[:v_l - 1] || v_later_at[v_l + 1:];
                    END IF;
                END LOOP;
            END IF;

            /*
             * Throttles (_pdb_held): a unit starts only on a verdict at most
             * c_hold_fresh old (see below; a check costs 20 to 100 us), and
             * they are checked every c_check_every at least, with the live
             * control (pdb_pause: paused). While held, no new unit starts and
             * running ones end; the application_name of the idle workers
             * says why ('pdb_run:<caller pid> throttled: <why>', which
             * pdb_activity shows; set below), and so does a progress NOTICE
             * at once.
             */
            IF clock_timestamp() >= v_hold_at THEN
                -- pdb_run_control: read when its epoch (which no snapshot hides) moved, and a while after
                -- (the first read is here: what was asked before the call, a job's pause, is in its snapshot;
                -- a read that fails keeps what was read before)
                v_epoch := coalesce(pg_sequence_last_value('@extschema@.pdb_run_control_epoch_seq'::regclass), 0);
                IF v_ctl_epoch = -1 OR (clock_timestamp() <= v_ctl_until AND v_ctl_until < 'infinity')
                   OR (v_epoch <> v_ctl_epoch AND v_ctl_until < 'infinity') THEN
                    IF v_ctl_epoch <> -1 AND v_epoch <> v_ctl_epoch THEN
                        v_ctl_until := greatest(v_ctl_until, clock_timestamp() + c_ctl_window);
                    END IF;
                    SELECT c.paused, c.max_conns INTO v_ctl
                      FROM @extschema@._pdb_control(v_started, v_job, v_dbl,
                                                    CASE WHEN v_ctl_epoch <> -1 THEN v_via END) AS c;
                    v_ctl_epoch := v_epoch;
                    IF v_ctl.paused IS NOT NULL THEN
                        v_paused := v_ctl.paused;
                        v_cap    := v_ctl.max_conns;
                    END IF;
                END IF;
                v_held    := CASE WHEN v_paused THEN 'paused' WHEN v_throttles THEN @extschema@._pdb_held(v_thr, s_pid) END;
                v_held_at := clock_timestamp();
                v_hold_at := v_held_at + c_check_every;
                IF v_progress AND v_held IS DISTINCT FROM v_said THEN
                    v_report_at := clock_timestamp();
                END IF;
                v_said := v_held;
                -- pdb_set_conns asked for more connections than a target has, and it has tasks left
                -- (fewer: a connection over the number closes once idle, below)
                v_more := CASE WHEN v_cap IS NOT NULL AND v_held IS NULL AND NOT v_stop THEN
                              ARRAY(SELECT CASE WHEN d_next[d] <= d_last[d]
                                                THEN greatest(0, least(v_cap, d_last[d] - d_next[d] + 1 + d_slots[d])
                                                                 - d_slots[d]) ELSE 0 END
                                      FROM generate_series(1, v_nt) AS d ORDER BY d) END;
                IF (SELECT sum(m) FROM unnest(v_more) AS m) > 0 THEN
                    v_grown := v_grown + 1;
                    v_pool := @extschema@._pdb_grow(st, v_more, v_prefix || 'g' || v_grown || '_');
                    st.locks := st.locks || coalesce(v_pool.locks, ARRAY[]::integer[]);
                    FOR v_i IN 1..coalesce(cardinality(v_pool.conn), 0) LOOP
                        CONTINUE WHEN v_pool.state[v_i] <> 'idle';
                        v_ns := v_ns + 1;
                        s_conn[v_ns]   := v_pool.conn[v_i];
                        s_tgt[v_ns]    := v_pool.tgt[v_i];
                        s_pid[v_ns]    := v_pool.pid[v_i];
                        s_state[v_ns]  := 'idle';
                        s_task[v_ns]   := 0;
                        s_gen[v_ns]    := 0;
                        s_zero[v_ns]   := 0;
                        s_nres[v_ns]   := 0;
                        s_exec[v_ns]   := false;
                        s_again[v_ns]  := false;
                        s_failed[v_ns] := false;
                        d_slots[s_tgt[v_ns]] := d_slots[s_tgt[v_ns]] + 1;
                    END LOOP;
                    v_active := true;
                END IF;
            END IF;

            -- a target without a connection: what it still has to run fails
            -- (only such a target has no live slot; the test is done in C)
            FOR v_tg IN 1..CASE WHEN array_position(d_slots, 0) IS NULL THEN 0 ELSE v_nt END LOOP
                CONTINUE WHEN d_slots[v_tg] > 0 OR (d_next[v_tg] > d_last[v_tg] AND cardinality(v_retry) = 0);
                FOREACH v_p IN ARRAY ARRAY(SELECT generate_series(d_next[v_tg], d_last[v_tg]))
                                     || ARRAY(SELECT r FROM unnest(v_retry) AS r WHERE v_tgt[r] = v_tg) LOOP
                    r_out[v_p]    := d_failure[v_tg];
                    r_result[v_p] := NULL;
                    r_end[v_p]    := clock_timestamp();
                    v_done := v_done + 1;
                    r_done[v_p] := true;
                    v_stop := v_stop OR v_ff;
                END LOOP;
                v_retry := ARRAY(SELECT x.r FROM unnest(v_retry) WITH ORDINALITY AS x(r, o)
                                  WHERE v_tgt[x.r] <> v_tg ORDER BY x.o);
                d_next[v_tg] := d_last[v_tg] + 1;
            END LOOP;

            -- fail_fast: start nothing more, cancel what runs
            IF v_stop AND NOT v_stopped THEN
                v_stopped := true;
                FOREACH v_p IN ARRAY v_retry || ARRAY(SELECT generate_series(d_next[d], d_last[d])
                                                        FROM generate_series(1, v_nt) AS d) LOOP
                    r_out[v_p] := c_skipped;
                    v_done := v_done + 1;
                    r_done[v_p] := true;
                END LOOP;
                -- tasks waiting for a retry keep the error they got
                v_done     := v_done + cardinality(v_later);
                FOREACH v_p IN ARRAY v_later LOOP
                    r_done[v_p] := true;
                END LOOP;
                v_retry    := ARRAY[]::integer[];
                v_later    := ARRAY[]::integer[];
                v_later_at := ARRAY[]::timestamptz[];
                d_next     := ARRAY(SELECT e + 1 FROM unnest(d_last) WITH ORDINALITY AS x(e, o) ORDER BY x.o);
                FOR v_slot IN 1..v_ns LOOP
                    IF s_state[v_slot] = 'run' THEN
                        s_reason[v_slot] := coalesce(s_reason[v_slot], 'cancelled');
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                    END IF;
                END LOOP;
            END IF;

            -- one pass over the pool: each connection reads what it has ready,
            -- then takes its next unit at once
            v_polled := v_polling;  -- (a unit found done now ended since then)
            v_polling := clock_timestamp();
            FOR v_slot IN 1..v_ns LOOP
                -- a running connection: read every result it has ready, one after the other
                v_there := false;
                <<draining>>
                WHILE s_state[v_slot] IN ('run', 'probe', 'reset') LOOP
                    IF NOT v_there THEN
                        IF v_bound THEN
                            v_busy := "@dblink@".dblink_is_busy(s_conn[v_slot]);
                        ELSE
                            EXECUTE v_sql_busy INTO v_busy USING s_conn[v_slot];
                        END IF;
                        EXIT draining WHEN v_busy <> 0;
                    END IF;
                    v_active := true;
                    v_task   := s_task[v_slot];
                    /*
                     * Read one result, and with f_and_end (a single
                     * statement, whose end comes with its result) the end
                     * after it: kind 'row' (a command's tag or the first
                     * column of the first row), 'empty' (no rows: the end, or
                     * a one-column result without rows), 'novalue' (rows of
                     * several columns, an empty query) or 'error' (the remote
                     * statement failed; f_lost: the worker is gone). Any other
                     * error, a local cancel among them, is raised. f_rows: a
                     * query's rows go to the function's result ('row' or
                     * 'empty'); an error reading them as row_type is the
                     * task's.
                     */
                    f_and_end := s_state[v_slot] = 'run' AND s_first[v_slot] = s_last[v_slot] AND v_single[v_task];
                    f_rows  := v_query AND s_state[v_slot] = 'run';
                    IF f_rows THEN
                        f_rows := s_nres[v_slot] = v_skip[v_task];
                        s_nres[v_slot] := s_nres[v_slot] + 1;
                    END IF;
                    f_ended := false;
                    f_lost  := false;
                    BEGIN
                        IF f_rows THEN
                            f_value := NULL;
                            RETURN QUERY EXECUTE v_sql_rows USING s_conn[v_slot];
                        ELSIF v_bound THEN
                            SELECT r.v INTO f_value FROM "@dblink@".dblink_get_result(s_conn[v_slot], true) AS r(v text)
                             LIMIT 1;
                        ELSE
                            EXECUTE v_sql_get INTO f_value USING s_conn[v_slot];
                        END IF;
                        GET DIAGNOSTICS v_rows = ROW_COUNT;
                        f_kind := CASE WHEN v_rows > 0 THEN 'row' ELSE 'empty' END;
                        IF f_and_end THEN
                            IF v_bound THEN
                                PERFORM FROM "@dblink@".dblink_get_result(s_conn[v_slot], true) AS r(v text);
                            ELSE
                                EXECUTE v_sql_end USING s_conn[v_slot];
                            END IF;
                            f_ended := true;
                        END IF;
                    EXCEPTION WHEN query_canceled OR others THEN
                        GET STACKED DIAGNOSTICS ex_sqlstate = RETURNED_SQLSTATE, ex_message = MESSAGE_TEXT,
                                                ex_detail = PG_EXCEPTION_DETAIL, ex_hint = PG_EXCEPTION_HINT,
                                                ex_context = PG_EXCEPTION_CONTEXT;
                        f_value := NULL;
                        SELECT e.kind, e.lost INTO f_kind, f_lost
                          FROM @extschema@._pdb_result_error(v_dbl, s_conn[v_slot], ex_sqlstate, ex_context) AS e;
                        IF f_rows AND coalesce(f_kind, 'novalue') = 'novalue' AND ex_sqlstate <> '57014' THEN
                            -- its rows do not fit row_type: the task fails so
                            f_kind := 'error';
                            IF ex_sqlstate = '42804' THEN
                                SELECT o.error, o.detail, o.hint INTO ex_message, ex_detail, ex_hint
                                  FROM @extschema@._pdb_shape_error(v_dbl, s_conn[v_slot],
                                                                    CASE WHEN v_skip[v_task] = 0 THEN v_tasks[v_task] END,
                                                                    pg_typeof(row_type), v_caller) AS o;
                            END IF;
                        ELSIF f_kind IS NULL THEN
                            RAISE;
                        END IF;
                    END;
                    <<handled>>
                    BEGIN
                        IF s_state[v_slot] = 'probe' THEN
                            -- 'SELECT 1': one row, then the end
                            IF f_kind = 'empty' THEN
                                s_state[v_slot] := 'idle';
                            END IF;
                            EXIT handled;
                        END IF;
                        IF s_state[v_slot] = 'reset' THEN
                            -- 'DISCARD ALL' after task v_task: one result, then the end
                            IF f_kind = 'error' THEN
                                -- refused inside a transaction block: the task left one open
                                s_failed[v_slot] := true;
                                IF (r_out[v_task]).status = 'ok' THEN
                                    r_out[v_task] := ROW('error', '25001', 'task left a transaction open',
                                                         'pdb_run rolled it back: nothing of the task took effect.',
                                                         'End every BEGIN of a task with COMMIT.')::@extschema@._pdb_outcome;
                                    r_result[v_task] := NULL;
                                    v_stop := v_stop OR v_ff;
                                END IF;
                            ELSIF f_kind = 'empty' THEN
                                IF s_failed[v_slot] THEN
                                    EXECUTE format('SELECT %I.dblink_exec($1, $2)', v_dbl) USING s_conn[v_slot], 'ROLLBACK';
                                    EXECUTE format('SELECT %I.dblink_exec($1, $2)', v_dbl) USING s_conn[v_slot], c_reset;
                                END IF;
                                PERFORM @extschema@._pdb_prepare(v_dbl, s_conn[v_slot], v_setup);
                                s_state[v_slot] := 'idle';
                                s_label[v_slot] := NULL;  -- (labelled 'pdb_run:<caller pid>' again)
                            END IF;
                            EXIT handled;
                        END IF;
                        IF s_first[v_slot] <> s_last[v_slot] THEN
                            -- a batch: one result per task, in order, then the end
                            IF f_kind = 'error' THEN
                                s_failed[v_slot] := true;  -- nothing of the batch took effect
                                IF f_lost THEN
                                    s_state[v_slot] := 'lost';
                                ELSIF s_exec[v_slot] AND ex_sqlstate IN ('42883', '3F000', '42501') THEN
                                    -- maybe it cannot call _pdb_batch (or a task failed so): plain batches
                                    d_exec[s_tgt[v_slot]] := false;
                                END IF;
                            ELSIF s_failed[v_slot] OR v_task > s_last[v_slot] THEN
                                -- the end of the batch: done, or each task again alone
                                v_ended := clock_timestamp();
                                IF NOT s_failed[v_slot] THEN
                                    FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                        r_out[v_t] := c_ok;
                                        r_end[v_t] := v_ended;
                                        r_done[v_t] := true;
                                    END LOOP;
                                    v_done := v_done + s_last[v_slot] - s_first[v_slot] + 1;
                                ELSE
                                    FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                        r_result[v_t] := NULL;
                                        IF v_stop THEN
                                            -- rolled back, and fail_fast runs nothing again
                                            r_out[v_t] := v_cancelled;
                                            r_end[v_t] := v_ended;
                                            v_done := v_done + 1;
                                            r_done[v_t] := true;
                                        ELSE
                                            v_retry := v_retry || v_t;
                                        END IF;
                                    END LOOP;
                                END IF;
                                s_state[v_slot] := 'idle';
                            ELSIF s_exec[v_slot] THEN
                                -- _pdb_batch: the results of all its tasks at once
                                v_results := CAST(f_value AS text[]);
                                FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                                    r_result[v_t] := v_results[v_t - s_first[v_slot] + 1];
                                END LOOP;
                                s_task[v_slot] := s_last[v_slot] + 1;
                            ELSE
                                r_result[v_task] := f_value;  -- NULL for 'empty' and 'novalue'
                                s_task[v_slot] := v_task + 1;
                            END IF;
                            EXIT handled;
                        END IF;
                        CASE f_kind
                        WHEN 'row', 'novalue', 'empty' THEN
                            -- a closing COMMIT or PREPARE does not hide the result of the work before it
                            IF f_kind <> 'empty'
                               AND NOT coalesce(f_value IN ('COMMIT', 'PREPARE TRANSACTION'), false) THEN
                                r_result[v_task] := f_value;
                            END IF;
                            -- the end of the task ('ended'), or perhaps ('maybe', see above)
                            IF f_ended OR f_kind = 'empty' THEN
                                s_state[v_slot] := CASE WHEN f_ended THEN 'ended' ELSE 'maybe' END;
                                s_since[v_slot] := clock_timestamp();
                                v_ended := s_since[v_slot];
                            END IF;
                        ELSE  -- 'error': the query string stops at its first error
                            r_result[v_task] := NULL;
                            IF s_reason[v_slot] IS NULL THEN
                                r_out[v_task]   := ROW('error', ex_sqlstate, ex_message, ex_detail, ex_hint)::@extschema@._pdb_outcome;
                                s_again[v_slot] := ex_sqlstate IN ('40001', '40P01', '55P03')
                                                   AND r_attempts[v_task] <= v_retries;
                            ELSIF s_reason[v_slot] = 'timeout' THEN
                                r_out[v_task] := ROW('timeout', '57014',
                                                     format('task ran longer than task_timeout (%s)', v_task_timeout),
                                                     NULL, NULL)::@extschema@._pdb_outcome;
                            ELSIF s_reason[v_slot] = 'cancelled' THEN
                                r_out[v_task] := v_cancelled;
                            END IF;  -- 'blocked': keep the 40P01 pdb_run reported
                            -- stop now: the probe for this task's end must not be the next task
                            v_stop := v_stop OR (v_ff AND NOT s_again[v_slot] AND (r_out[v_task]).status <> 'cancelled');
                            IF f_lost THEN
                                s_state[v_slot] := 'lost';  -- the worker is gone
                            END IF;
                        END CASE;
                    END;
                    IF v_ended IS NOT NULL THEN
                        -- a unit ended: its run time joins the typical one
                        -- (date_part: double precision, where extract computes in numeric)
                        v_ran := date_part('epoch', (v_ended - s_started[v_slot])
                                                    - (v_ended - greatest(s_started[v_slot], v_polled)) / 2);
                        IF v_typical IS NOT NULL THEN
                            v_spread := coalesce(0.75 * v_spread + 0.25 * abs(v_ran - v_typical),
                                                 abs(v_ran - v_typical));
                        END IF;
                        v_typical := coalesce(0.75 * v_typical + 0.25 * v_ran, v_ran);
                        IF v_nice > 0 THEN
                            s_rest[v_slot] := v_ended + make_interval(secs => v_nice * v_ran);
                        END IF;
                        v_ended := NULL;
                    END IF;
                    -- after the one result of a single statement (a task, the probe,
                    -- the reset) its end is there already: read it without asking
                    v_there := f_kind IN ('row', 'novalue')
                               AND (s_state[v_slot] IN ('probe', 'reset') OR s_exec[v_slot]
                                    OR (s_first[v_slot] = s_last[v_slot] AND v_single[v_task]));
                END LOOP;

                -- a lost connection: settle what it ran, then replace it
                IF s_state[v_slot] = 'lost' THEN
                    FOR v_t IN s_first[v_slot]..s_last[v_slot] LOOP
                        IF s_first[v_slot] = s_last[v_slot] OR s_task[v_slot] > s_last[v_slot] THEN
                            -- one task failed; or a batch that may have committed
                            IF s_first[v_slot] <> s_last[v_slot] THEN
                                r_out[v_t] := ROW('error', '08006',
                                                  'lost the connection to the worker while its batch committed',
                                                  'Whether the tasks of the batch took effect is unknown.', NULL)::@extschema@._pdb_outcome;
                            END IF;
                            r_end[v_t] := clock_timestamp();
                            v_done := v_done + 1;
                            r_done[v_t] := true;
                            v_stop := v_stop OR v_ff;
                        ELSIF v_stop THEN
                            r_out[v_t] := c_skipped;  -- the batch never committed
                            v_done := v_done + 1;
                            r_done[v_t] := true;
                        ELSE
                            v_retry := v_retry || v_t;  -- the batch never committed: run again alone
                        END IF;
                    END LOOP;
                    PERFORM @extschema@._pdb_close(v_dbl, ARRAY[s_conn[v_slot]], true);
                    s_gen[v_slot]  := s_gen[v_slot] + 1;
                    s_conn[v_slot] := v_prefix || v_slot || '_' || s_gen[v_slot];
                    v_active := true;
                    v_open := @extschema@._pdb_try_open(v_dbl, s_conn[v_slot], d_connstr[s_tgt[v_slot]], v_setup,
                                                        v_call, v_slot, NOT v_isolate);
                    s_pid[v_slot] := v_open.pid;
                    IF (v_open.failure).status IS NOT NULL THEN  -- (a composite IS NOT NULL only when every field is)
                        s_state[v_slot] := 'dead';
                        d_slots[s_tgt[v_slot]]   := d_slots[s_tgt[v_slot]] - 1;
                        d_failure[s_tgt[v_slot]] := v_open.failure;
                        CONTINUE;  -- the target's other connections carry on, if it has any
                    END IF;
                    s_state[v_slot] := 'idle';
                    s_label[v_slot] := NULL;
                END IF;

                CONTINUE WHEN s_state[v_slot] NOT IN ('idle', 'maybe', 'ended');

                -- the next unit: a task to run again alone, else the next task
                -- with as many batchable followers as batch_size allows
                v_target := s_tgt[v_slot];
                u_first  := 0;
                u_exec   := false;
                v_qi     := NULL;  -- the place of a retry of this target in v_retry
                -- (none after fail_fast, while held by a throttle, or resting after its last unit: nice)
                IF v_throttles AND clock_timestamp() - v_held_at > c_hold_fresh AND NOT v_stop AND NOT v_paused
                   AND (d_next[v_target] <= d_last[v_target] OR cardinality(v_retry) > 0) THEN
                    v_held    := @extschema@._pdb_held(v_thr, s_pid);
                    v_held_at := clock_timestamp();
                    IF v_held IS DISTINCT FROM v_said THEN
                        v_hold_at := v_held_at;  -- (the NOTICE says it at once)
                    END IF;
                END IF;
                u_none   := v_stop OR v_held IS NOT NULL OR coalesce(s_rest[v_slot] > clock_timestamp(), false)
                            OR coalesce(d_slots[v_target] > v_cap, false);
                -- pdb_set_conns asked for fewer connections: this one closes once idle
                IF s_state[v_slot] = 'idle' AND d_slots[v_target] > v_cap THEN
                    PERFORM @extschema@._pdb_close(v_dbl, ARRAY[s_conn[v_slot]], false, true);
                    s_state[v_slot] := 'closed';
                    d_slots[v_target] := d_slots[v_target] - 1;
                    IF cardinality(st.locks) > 0 THEN
                        PERFORM pg_advisory_unlock(c_lock_space, st.locks[cardinality(st.locks)]);
                        st.locks := st.locks[:cardinality(st.locks) - 1];
                    END IF;
                    CONTINUE;
                END IF;
                -- an idle worker's application_name says why it waits, as pdb_activity shows
                IF s_state[v_slot] = 'idle' AND s_label[v_slot] IS DISTINCT FROM v_held THEN
                    EXECUTE format('SELECT %I.dblink_exec($1, $2)', v_dbl)
                        USING s_conn[v_slot], format('SET application_name = %L', 'pdb_run:' || pg_backend_pid()
                                                                                   || coalesce(' throttled: ' || v_held, ''));
                    s_label[v_slot] := v_held;
                END IF;
                IF NOT u_none AND cardinality(v_retry) > 0 THEN
                    v_qi := CASE WHEN v_nt = 1 THEN 1
                                 ELSE (SELECT min(x.o)::integer FROM unnest(v_retry) WITH ORDINALITY AS x(r, o)
                                        WHERE v_tgt[x.r] = v_target) END;
                END IF;
                u_retry := v_qi IS NOT NULL;
                IF u_retry THEN
                    u_first := v_retry[v_qi];
                    u_last  := u_first;
                ELSIF NOT u_none AND d_next[v_target] <= d_last[v_target] THEN
                    u_first := d_next[v_target];
                    u_last  := u_first;
                    IF v_batch_size > 1 AND v_batchable[u_first] THEN
                        -- on this database, a run of tasks _pdb_batch can report goes through it
                        u_exec := d_exec[v_target] AND v_tag[u_first] IS NOT NULL;
                        WHILE u_last < d_last[v_target] AND u_last - u_first + 1 < v_batch_size
                              AND v_batchable[u_last + 1] AND (NOT u_exec OR v_tag[u_last + 1] IS NOT NULL) LOOP
                            u_last := u_last + 1;
                        END LOOP;
                        u_exec := u_exec AND u_last > u_first;
                    END IF;
                END IF;
                -- after a task that may leave state behind, the probe is a reset
                u_reset := s_state[v_slot] IN ('maybe', 'ended') AND v_stateful[s_task[v_slot]];
                IF u_reset THEN
                    u_first := 0;
                    u_sql   := c_reset;
                ELSIF u_first = 0 THEN
                    u_sql := c_probe;
                ELSIF u_first = u_last AND v_same_snapshot THEN
                    u_sql := format(E'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n'
                                    'SET TRANSACTION SNAPSHOT %L;\n%s\n;\nCOMMIT', v_snapshot, v_tasks[u_first]);
                ELSIF u_first = u_last AND v_atomic THEN
                    u_sql := format(E'BEGIN;\n%s\n;\nPREPARE TRANSACTION %L', v_tasks[u_first],
                                    v_gid || v_task_no[u_first]);
                ELSIF u_first = u_last THEN
                    u_sql := v_tasks[u_first];
                ELSIF u_exec THEN
                    -- (element by element: a slice of a large array costs as much as copying it)
                    u_tasks := ARRAY[]::text[];
                    u_tags  := ARRAY[]::text[];
                    FOR v_t IN u_first..u_last LOOP
                        u_tasks := u_tasks || v_tasks[v_t];
                        u_tags  := u_tags || v_tag[v_t];
                    END LOOP;
                    u_sql := format('SELECT @extschema@._pdb_batch(%L::text[], %L::text[], '
                                    'pg_catalog.current_setting(''search_path''))', u_tasks, u_tags);
                ELSE
                    -- the line breaks end a task's trailing -- comment
                    u_sql := v_tasks[u_first];
                    FOR v_t IN u_first + 1..u_last LOOP
                        u_sql := u_sql || E'\n;\n' || v_tasks[v_t];
                    END LOOP;
                END IF;
                -- label the unit with a comment: pg_stat_activity.query shows it
                -- (pdb_activity reads it), at no cost of a result or round trip
                IF u_first > 0 THEN
                    u_sql := v_label || coalesce(v_shown[v_task_no[u_first]], v_task_no[u_first]) || v_label_end || u_sql;
                END IF;

                -- (an idle slot sends a unit; one that ran a task also a probe or a reset)
                v_sent := 0;
                IF u_first > 0 OR u_reset OR s_state[v_slot] = 'maybe' THEN
                    IF v_bound THEN
                        v_sent := "@dblink@".dblink_send_query(s_conn[v_slot], u_sql);
                    ELSE
                        EXECUTE v_sql_send INTO v_sent USING s_conn[v_slot], u_sql;
                    END IF;
                END IF;
                IF s_state[v_slot] IN ('maybe', 'ended') THEN
                    /*
                     * 'maybe': dblink_get_result gave no rows after a single
                     * task: its end, or a one-column result without rows with
                     * more to follow. Only an idle connection accepts a new
                     * query, so sending the next unit (or a probe when none is
                     * left) tells which.
                     * 'ended': the task's end was read with its result; send
                     * the next unit, or the reset, if there is one.
                     */
                    v_task := s_task[v_slot];
                    IF v_sent = 1 OR s_state[v_slot] = 'ended' THEN
                        r_end[v_task] := s_since[v_slot];
                        IF s_again[v_slot] THEN
                            -- 40001, 40P01 or 55P03 with retries left: again after a backoff that doubles
                            -- up to 1 s, each wait drawn between half and all of it (tasks that failed
                            -- together do not come back together)
                            v_later    := v_later || v_task;
                            v_later_at := v_later_at || (clock_timestamp() + least(interval '1 second',
                                              interval '10 milliseconds' * 2 ^ (r_attempts[v_task] - 1))
                                                                             * (0.5 + random() / 2));
                            r_attempts[v_task] := r_attempts[v_task] + 1;
                        ELSE
                            IF (r_out[v_task]).status IS NULL THEN
                                r_out[v_task] := c_ok;
                            END IF;
                            v_done := v_done + 1;
                            r_done[v_task] := true;
                            v_stop := v_stop OR (v_ff AND (r_out[v_task]).status <> 'ok');
                        END IF;
                        IF v_sent <> 1 THEN
                            s_state[v_slot] := 'idle';   -- (a unit it could not take fails below)
                        ELSIF u_reset THEN
                            s_state[v_slot] := 'reset';  -- idle again once reset and set up
                        ELSIF u_first = 0 THEN
                            s_state[v_slot] := 'probe';  -- idle again once the probe is drained
                        END IF;
                    ELSE
                        r_result[v_task] := NULL;  -- that result had no rows
                        s_state[v_slot]  := 'run';
                        s_zero[v_slot]   := s_zero[v_slot] + 1;
                        -- a task has at most one result per statement: more
                        -- means the connection no longer answers
                        IF s_zero[v_slot] > length(v_tasks[v_task]) - length(replace(v_tasks[v_task], ';', '')) + 1 THEN
                            r_out[v_task]   := ROW('error', '08006', 'lost the connection to the worker', NULL, NULL)::@extschema@._pdb_outcome;
                            s_state[v_slot] := 'lost';
                        END IF;
                    END IF;
                    v_active := true;
                END IF;
                IF v_sent <> 1 AND u_first > 0 AND s_state[v_slot] = 'idle' THEN
                    RAISE EXCEPTION USING ERRCODE = 'connection_failure',
                        MESSAGE = 'could not send a task to a worker connection',
                        DETAIL  = format('Connection %s refused task %s.', s_conn[v_slot], v_task_no[u_first]);
                END IF;

                IF v_sent = 1 AND u_first > 0 THEN
                    -- the unit is on its way
                    d_sent[v_target] := d_connstr[v_target];
                    IF u_retry THEN
                        v_retry := v_retry[:v_qi - 1] || v_retry[v_qi + 1:];
                    ELSE
                        d_next[v_target] := u_last + 1;
                    END IF;
                    s_first[v_slot]   := u_first;
                    s_last[v_slot]    := u_last;
                    s_task[v_slot]    := u_first;  -- a batch counts its results
                    s_exec[v_slot]    := u_exec;
                    s_state[v_slot]   := 'run';
                    s_zero[v_slot]    := 0;
                    s_nres[v_slot]    := 0;
                    s_reason[v_slot]  := NULL;
                    s_again[v_slot]   := false;
                    s_failed[v_slot]  := false;
                    s_started[v_slot] := clock_timestamp();
                    -- (a query's rows come at once: look at its worker soon)
                    s_look[v_slot]    := s_started[v_slot] + CASE WHEN v_query THEN c_stream_step ELSE c_stream_min END;
                    s_gap[v_slot]     := NULL;
                    v_look_at         := least(v_look_at, s_look[v_slot]);
                    IF u_retry THEN
                        -- it ran before (alone, or in a batch): forget that outcome
                        r_out[u_first]    := NULL::@extschema@._pdb_outcome;
                        r_result[u_first] := NULL;
                        r_start[u_first]  := s_started[v_slot];
                        r_conn[u_first]   := s_conn[v_slot];
                    ELSE
                        -- new tasks: nothing is recorded for them yet
                        FOR v_t IN u_first..u_last LOOP
                            r_start[v_t]    := s_started[v_slot];
                            r_conn[v_t]     := s_conn[v_slot];
                            r_attempts[v_t] := 1;
                        END LOOP;
                    END IF;
                    v_active := true;
                END IF;
            END LOOP;

            IF v_progress AND (v_done = v_n OR clock_timestamp() >= v_report_at) THEN
                PERFORM @extschema@._pdb_report(v_done, v_n, r_out, s_state, v_started, v_cmm, v_held);
                v_report_at := clock_timestamp() + interval '5 seconds';
            END IF;

            -- (a reset still running tells whether its task left a transaction open)
            EXIT WHEN v_done = v_n AND NOT 'reset' = ANY (s_state);
            -- the end of this step: the state goes back to the caller, the connections stay open
            EXIT WHEN clock_timestamp() >= v_until;

            -- task_timeout: cancel units that ran too long; wake up for the next deadline
            v_wake := until;
            IF cardinality(v_later_at) > 0 THEN
                v_wake := (SELECT min(a) FROM unnest(v_later_at) AS a);
            END IF;
            IF v_throttles THEN
                v_wake := least(v_wake, v_hold_at);
            END IF;
            IF v_nice > 0 THEN
                v_wake := least(v_wake, (SELECT min(r) FROM unnest(s_rest) AS r WHERE r > clock_timestamp()));
            END IF;
            IF v_task_timeout IS NOT NULL THEN
                FOR v_slot IN 1..v_ns LOOP
                    CONTINUE WHEN s_state[v_slot] <> 'run' OR s_reason[v_slot] IS NOT NULL;
                    IF clock_timestamp() >= s_started[v_slot] + v_task_timeout THEN
                        s_reason[v_slot] := 'timeout';
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_slot];
                        v_active := true;
                    ELSE
                        v_wake := least(v_wake, s_started[v_slot] + v_task_timeout);
                    END IF;
                END LOOP;
            END IF;
            IF v_active THEN
                v_quiet := clock_timestamp();
            ELSE
                IF NOT v_commits AND clock_timestamp() - v_checked > c_check_every THEN
                    /*
                     * A task waiting for a lock the caller holds can never get
                     * it: the caller's transaction lasts until pdb_run returns.
                     * (CREATE INDEX CONCURRENTLY in the caller's database waits
                     * for the caller's snapshot that way.) Cancel such tasks. A
                     * cancelled batch runs again task by task, so the blocked
                     * task ends up alone and reported.
                     */
                    FOREACH v_blocked IN ARRAY ARRAY(
                        SELECT i FROM generate_series(1, v_ns) AS i
                         WHERE s_state[i] = 'run' AND s_reason[i] IS NULL
                           AND pg_backend_pid() = ANY (pg_blocking_pids(s_pid[i])))
                    LOOP
                        v_task := s_task[v_blocked];
                        s_reason[v_blocked] := 'blocked';
                        IF s_first[v_blocked] = s_last[v_blocked] THEN
                            r_out[v_task] := @extschema@._pdb_blocked(v_task_no[v_task], s_pid[v_blocked]);
                        END IF;
                        EXECUTE format('SELECT %I.dblink_cancel_query($1)', v_dbl) USING s_conn[v_blocked];
                    END LOOP;
                    v_checked := clock_timestamp();
                END IF;
                /*
                 * A large result: a poll reads only what libpq's buffer takes
                 * (about 16 kB), so polls paced by the back off would read
                 * 100,000 rows at a crawl (seconds), the worker waiting for
                 * the coordinator (ClientWrite) meanwhile. A worker of this
                 * server is looked at (_pdb_stream) when its unit is
                 * c_stream_min old, then every c_stream_max (a query of
                 * pdb_query: when it is c_stream_step old, then each time its
                 * age has doubled, up to every c_stream_max) (when the
                 * coordinator is awake anyway: about once per unit of 4 to 64
                 * ms; more often, 40 units of 50 ms took 30% more coordinator
                 * CPU). One that sends (it waits for its client, or it is done
                 * and its result not yet read) streams: it is polled without
                 * sleeping for c_stream_spin at each look, and looked at again
                 * after a gap that doubles each time it was not found waiting
                 * (from c_stream_step up to c_stream_max) and halves each time
                 * it was; one found waiting after a gap of c_stream_step fills
                 * the socket's buffer (200 kB) faster than the coordinator can
                 * sleep (a millisecond): it gets no gap, and each look polls it
                 * for c_stream_burst. A worker that sends as fast as it can is
                 * so read almost as fast as by dblink() itself (1 ms of 17
                 * lost); one that computes long and sends a little now and
                 * then is looked at about as often as it fills the buffer, and
                 * leaves the cores to the workers. Workers of other servers
                 * cannot be seen: their rows come at the pace of the polls.
                 */
                v_hurry := false;
                -- (the slots are gone through only when a look is due: a pass of tiny tasks costs less)
                IF clock_timestamp() >= v_look_at THEN
                    v_look_at  := NULL;
                    v_look_gap := NULL;
                    FOR v_slot IN 1..v_ns LOOP
                        CONTINUE WHEN s_state[v_slot] <> 'run' OR s_pid[v_slot] IS NULL;
                        IF clock_timestamp() >= s_look[v_slot] THEN
                            v_look := @extschema@._pdb_stream(v_dbl, s_conn[v_slot], s_pid[v_slot],
                                                              CASE WHEN s_gap[v_slot] = interval '0' THEN c_stream_burst
                                                                   ELSE c_stream_spin END,
                                                              s_gap[v_slot] IS NOT NULL);
                            s_gap[v_slot] := CASE v_look
                                             WHEN 'computing' THEN NULL
                                             WHEN 'behind' THEN CASE WHEN s_gap[v_slot] IS NULL THEN c_stream_step
                                                                     WHEN s_gap[v_slot] / 2 >= c_stream_step THEN s_gap[v_slot] / 2
                                                                     ELSE interval '0' END
                                             WHEN 'ahead' THEN least(c_stream_max, greatest(c_stream_step, 2 * s_gap[v_slot]))
                                             ELSE s_gap[v_slot] END;
                            s_look[v_slot] := clock_timestamp() + coalesce(s_gap[v_slot],
                                                                          CASE WHEN v_query
                                                                               THEN least(c_stream_max, clock_timestamp() - s_started[v_slot])
                                                                               ELSE c_stream_max END);
                            v_hurry := v_hurry OR v_look = 'done' OR s_gap[v_slot] = interval '0';
                        END IF;
                        v_look_at := least(v_look_at, s_look[v_slot]);
                        IF s_gap[v_slot] IS NOT NULL THEN
                            v_look_gap := least(v_look_gap, s_look[v_slot]);
                        END IF;
                    END LOOP;
                END IF;
                v_wake := least(v_wake, v_look_gap);
                /*
                 * Back off: sleep 1/12 of the time since anything last
                 * happened, but not less than 1/32 of a unit's typical run
                 * time (once one is known; 1/64 when units run alike, see
                 * below), at least 1 ms, at most 64 ms. A connection that
                 * finishes a short task waits about a millisecond for the
                 * next; one that ran long waits at most 1/12 of its run time,
                 * and 64 ms. A wake-up costs 0.03 to 0.11 ms of CPU (more
                 * after longer sleeps): the floor bounds the wake-ups while
                 * units run long (each end would start the ramp again from
                 * 1 ms), and delays a unit's end by at most 1/32 of the
                 * typical one, so the coordinator uses about 1% of a core.
                 * (Over 30 sleeps of 29 ms to 2 s on two connections, 1/32
                 * rather than 1/64: 17% less CPU, then 1/12 rather than 1/16:
                 * 12% less, the same wall time.)
                 * But pg_sleep cannot wait less than 1 ms, longer than units
                 * run at times: while they typically run less than c_spin
                 * (1 ms), poll again at once for up to c_spin since anything
                 * happened (a call of tiny tasks would otherwise sleep a
                 * millisecond each time a worker is a little late); and until
                 * a unit has ended, for up to c_spin_cold (3 ms): the first
                 * statement of a new worker takes 0.6 to 1.5 ms (its caches
                 * are cold), so a small call would sleep once at its start.
                 * (Not for longer units: the polling would take a core from
                 * workers that may need it.)
                 */
                IF v_hurry OR (clock_timestamp() - v_quiet < CASE WHEN v_typical IS NULL THEN c_spin_cold
                                                                              WHEN v_typical < c_spin THEN c_spin_for END) THEN
                    NULL;
                ELSE
                    /*
                     * Units that run alike (their run times within 1/8 of the
                     * typical one, on average) end when expected: wake up at
                     * each one's expected end, and from then on back off as
                     * after an event. A unit of such a call that ends near
                     * its expected end is noticed within 1/64 of the typical
                     * time instead of 1/12 of the time since the last event,
                     * for a wake-up or two more per unit.
                     */
                    v_since := v_quiet;
                    v_alike := v_spread < v_typical / 8;
                    IF v_alike THEN
                        FOR v_slot IN 1..v_ns LOOP
                            CONTINUE WHEN s_state[v_slot] <> 'run';
                            v_due := s_started[v_slot] + make_interval(secs => v_typical);
                            IF v_due > clock_timestamp() THEN
                                v_wake := least(v_wake, v_due);
                            ELSE
                                v_since := greatest(v_since, v_due);
                            END IF;
                        END LOOP;
                    END IF;
                    PERFORM pg_sleep(least(c_max_sleep,
                                           greatest(c_min_sleep,
                                                    CAST(extract(epoch FROM clock_timestamp() - v_since)
                                                         AS double precision) / 12,
                                                    v_typical / CASE WHEN v_alike THEN 64 ELSE 32 END),
                                           CAST(extract(epoch FROM v_wake - clock_timestamp()) AS double precision)));
                END IF;
            END IF;
        END LOOP;

        -- packed again (the options and the plan do not change)
        st.stop := v_stop;  st.stopped := v_stopped;  st.done := v_done;  st.report_at := v_report_at;
        st.retry := v_retry;  st.later := v_later;  st.later_at := v_later_at;
        st.quiet := v_quiet;  st.typical := v_typical;  st.spread := v_spread;  st.polling := v_polling;
        st.checked := v_checked;  st.look_at := v_look_at;
        st.d_next := d_next;  st.d_slots := d_slots;  st.d_sent := d_sent;  st.d_exec := d_exec;  st.d_failure := d_failure;
        st.s_conn := s_conn;  st.s_tgt := s_tgt;  st.s_pid := s_pid;  st.s_state := s_state;  st.s_first := s_first;
        st.s_last := s_last;  st.s_task := s_task;  st.s_since := s_since;  st.s_zero := s_zero;
        st.s_reason := s_reason;  st.s_again := s_again;  st.s_started := s_started;  st.s_look := s_look;
        st.s_gap := s_gap;  st.s_failed := s_failed;  st.s_gen := s_gen;  st.s_exec := s_exec;  st.s_nres := s_nres;
        st.r_out := r_out;  st.r_result := r_result;  st.r_start := r_start;  st.r_end := r_end;  st.r_conn := r_conn;
        st.r_attempts := r_attempts;  st.r_done := r_done;
        st.held := v_held;  st.hold_at := v_hold_at;  st.s_rest := s_rest;  st.s_label := s_label;
        st.ctl_epoch := v_ctl_epoch;  st.ctl_until := v_ctl_until;  st.paused := v_paused;  st.cap := v_cap;
        st.grown := v_grown;
        IF v_done = v_n AND NOT 'reset' = ANY (s_state) THEN
            v_finishing := true;
            st := @extschema@._pdb_finish(st);
        END IF;
    EXCEPTION WHEN query_canceled OR others THEN
        IF NOT v_finishing THEN  -- (_pdb_finish cleaned up by the atomic phase it reached)
            PERFORM @extschema@._pdb_abort(st.dbl, format('pdb_%s_%s_', pg_backend_pid(), st.call_id), st.phase,
                                           st.run, coalesce(d_sent, st.d_sent), st.locks, coalesce(s_conn, st.s_conn));
        END IF;
        PERFORM set_config('client_min_messages', v_cmm, true);
        RAISE;  -- (the public function raises it again, so that its context shows only the caller's call)
    END;
    PERFORM set_config('client_min_messages', v_cmm, true);
    IF NOT v_query THEN
        RETURN NEXT st;  -- (row_type is NULL::_pdb_state)
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_step(@extschema@._pdb_state, timestamptz, anyelement) IS
'internal: advance a call of the engine until every task is settled or until a time; its state, or a query''s rows';
