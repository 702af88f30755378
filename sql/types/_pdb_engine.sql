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
    failure @extschema@._pdb_outcome[]      -- target -> why it is unusable (NULL: it is not)
);

CREATE TYPE @extschema@._pdb_opened AS (
    pid     integer,                        -- the worker's pid when it is a backend of this server
    failure @extschema@._pdb_outcome        -- why it could not be opened (NULL: it is open)
);
