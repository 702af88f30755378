/*
 * The engine's own types (internal): the values that cross from one phase of
 * _pdb_run to the next. Each phase returns one of them; _pdb_run unpacks it
 * into plain local arrays for its event loop.
 *
 * _pdb_outcome: how a task ended, and the one shape a failure travels in
 * between the engine's functions (a connection that could not be opened, a
 * target that cannot be used, a result read as an error): status ('ok',
 * 'error', 'timeout', 'cancelled', 'skipped', 'rolled back', 'prepared') and
 * the error's sqlstate, message, detail and hint.
 *
 * _pdb_plan: what runs where (_pdb_plan()). Tasks are grouped by target, each
 * target's in task order, and numbered by position: positions
 * first_pos[d]..last_pos[d] are target d's, so a unit of work (one task, or a
 * batch) is a run of consecutive positions.
 *
 * _pdb_pool: the connections opened for a plan (_pdb_open_pool()); _pdb_opened:
 * one of them (_pdb_try_open()).
 *
 * _pdb_throttle: the throttles a call honours, read from the settings
 * parallel_dblink.* when it starts (_pdb_throttle_settings()); NULL fields
 * are off.
 */
CREATE TYPE @extschema@._pdb_outcome AS (
    status   text,
    sqlstate text,
    error    text,
    detail   text,
    hint     text
);

CREATE TYPE @extschema@._pdb_plan AS (
    tasks     text[],     -- position -> the task
    task_no   integer[],  -- position -> task number
    pos       integer[],  -- task number -> position
    tgt       integer[],  -- position -> target number
    stateful  boolean[],  -- position -> what _pdb_classify says of the task
    batchable boolean[],
    single    boolean[],
    tag       text[],
    connstr   text[],     -- target -> its connection string (NULL made the loopback one)
    masked    text[],     -- target -> as reported: passwords masked, NULL for this database
    first_pos integer[],  -- target -> its positions
    last_pos  integer[],
    wanted    integer[]   -- target -> connections it can use (max_conns, at most one per task)
);

CREATE TYPE @extschema@._pdb_pool AS (
    conn    text[],                         -- slot -> dblink connection name
    tgt     integer[],                      -- slot -> target number
    pid     integer[],                      -- slot -> the worker's pid when it is a backend of this server
    state   text[],                         -- slot -> 'idle', or 'dead' when it could not be opened
    slots   integer[],                      -- target -> live connections
    failure @extschema@._pdb_outcome[],     -- target -> why it is unusable (NULL: it is not)
    locks   integer[]                       -- the budget's locks the connections hold (_pdb_grow, _pdb_kept_take; else NULL)
);

CREATE TYPE @extschema@._pdb_opened AS (
    pid     integer,                        -- the worker's pid when it is a backend of this server
    failure @extschema@._pdb_outcome        -- why it could not be opened (NULL: it is open)
);

CREATE TYPE @extschema@._pdb_throttle AS (
    lag_bytes  numeric,           -- max_replica_lag as a size ...
    lag_time   interval,          -- ... or as a time
    max_active integer,           -- max_active
    query      text,              -- throttle_query
    nice       double precision   -- nice (0: off)
);

/*
 * _pdb_state: the whole state of a call of the engine between two of its
 * steps (_pdb_start makes it, each _pdb_step advances it). A step unpacks it
 * into plain local arrays for its event loop and packs them again when it
 * hands it back; the dblink connections it names stay open in between, so a
 * procedure can COMMIT between two steps (pdb_job_exec). The fields are the
 * call's options, its plan, and the event loop's variables of the same names
 * (see _pdb_step): per target d_*, per connection (slot) s_*, per position
 * r_*. s_conn is NULL until the first step has opened the pool.
 */
CREATE TYPE @extschema@._pdb_state AS (
    batch_size      integer,
    fail_fast       boolean,
    task_timeout    interval,
    retries         integer,
    setup           text[],
    progress        boolean,
    same_snapshot   boolean,
    atomic          boolean,
    isolate_targets boolean,
    caller          text,
    query           boolean,
    strict_call     boolean,      -- strict: raise the first failure once every task has run
    commits         boolean,      -- the caller commits between steps: it holds no lock or snapshot for long
    plan            @extschema@._pdb_plan,
    given           text[],       -- task number -> the task as given (the outcome rows' task)
    shown           integer[],    -- task number -> the number a unit's label shows (NULL: the task number)
    label           text,         -- the end of a unit's label, after that number ('/<total> */', _pdb_labelled)
    skip            integer[],    -- position -> results before the task's rows (query mode)
    snapshot        text,         -- same_snapshot: the caller's exported snapshot
    dbl             name,         -- dblink's schema
    call_id         bigint,       -- the call's number in this session (_pdb_session_init)
    started         timestamptz,
    report_at       timestamptz,  -- progress: the next NOTICE
    locks           integer[],    -- the budget's advisory locks held
    run             uuid,         -- atomic: the run's id ...
    phase           text,         -- ... and phase: run, deciding, commit, rollback
    finished        boolean,      -- every task is settled and the call ended (_pdb_finish)
    done            integer,      -- tasks settled
    stop            boolean,      -- fail_fast was triggered ...
    stopped         boolean,      -- ... and acted upon
    retry           integer[],    -- positions to run alone, before the next new task
    later           integer[],    -- positions to retry after a backoff ...
    later_at        timestamptz[],  -- ... not before these times
    quiet           timestamptz,  -- when anything last happened
    typical         double precision,  -- how long a unit runs (a moving average) ...
    spread          double precision,  -- ... and how far from that they are
    polling         timestamptz,  -- the start of the last poll
    checked         timestamptz,  -- the last check for tasks blocked by the caller
    look_at         timestamptz,  -- the next look at a worker sending a large result
    d_next          integer[],
    d_slots         integer[],
    d_sent          text[],
    d_exec          boolean[],
    d_failure       @extschema@._pdb_outcome[],
    s_conn          text[],
    s_tgt           integer[],
    s_pid           integer[],
    s_state         text[],
    s_first         integer[],
    s_last          integer[],
    s_task          integer[],
    s_since         timestamptz[],
    s_zero          integer[],
    s_reason        text[],
    s_again         boolean[],
    s_started       timestamptz[],
    s_look          timestamptz[],
    s_gap           interval[],
    s_failed        boolean[],
    s_gen           integer[],
    s_exec          boolean[],
    s_nres          integer[],
    r_out           @extschema@._pdb_outcome[],
    r_result        text[],
    r_start         timestamptz[],
    r_end           timestamptz[],
    r_conn          text[],
    r_attempts      integer[],
    r_done          boolean[],    -- settled: its outcome is final
    throttle        @extschema@._pdb_throttle,  -- set by the first step
    held            text,         -- why no new task starts (throttled), or NULL
    hold_at         timestamptz,  -- the next check of the throttles
    s_rest          timestamptz[],  -- nice: the connection takes no new unit before this
    s_label         text[],       -- what its worker's application_name says beyond 'pdb_run:<caller pid>'
    job_id          bigint,       -- the durable job it runs (_pdb_labelled), or NULL
    ctl_epoch       bigint,       -- the last epoch of pdb_run_control seen ...
    ctl_until       timestamptz,  -- ... and until when to read that table (a change commits after its epoch)
    paused          boolean,      -- pdb_pause, pdb_job_pause
    cap             integer,      -- pdb_set_conns, pdb_job_set_conns: the connections per target now, or NULL
    grown           integer       -- how many times pdb_set_conns added connections
);

/*
 * _pdb_job_run: a run of a durable job (pdb_job_run, pdb_job_exec): the
 * tasks of the job not done when it began (of a backfill: a wave of its
 * ranges), numbered 1.. in this run, and the engine's state for them.
 * _pdb_job_begin makes it.
 */
CREATE TYPE @extschema@._pdb_job_run AS (
    job_id   bigint,
    ids      integer[],               -- task number in this run -> task_id in the job
    tasks    text[],                  -- task number -> the job's task (not the claim sent with it)
    before   integer[],               -- task number -> attempts of earlier runs
    recorded boolean[],               -- task number -> its outcome is written to pdb_job_task
    st       @extschema@._pdb_state,  -- NULL: nothing to run
    finished boolean,                 -- every task is settled and recorded
    backfill boolean                  -- the job is a backfill: its next ranges are cut when these end
);
