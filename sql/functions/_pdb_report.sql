/*
 * _pdb_report(done integer, total integer, outcomes _pdb_outcome[], states text[],
 *             started timestamptz, caller_min_messages text, held text) RETURNS void
 *
 * The NOTICE of progress => true: how many tasks are done and how many of
 * them failed (error, timeout, cancelled), how many connections run a unit
 * (states are the pool's slot states), the seconds since started, and why
 * the call is throttled when it is (held, see _pdb_held). The
 * engine lowers client_min_messages to warning while it runs (see _pdb_step);
 * the NOTICE is sent under the caller's own setting, then it is lowered again.
 */
CREATE FUNCTION @extschema@._pdb_report(done integer, total integer, outcomes @extschema@._pdb_outcome[],
                                        states text[], started timestamptz, caller_min_messages text,
                                        held text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM set_config('client_min_messages', caller_min_messages, true);
    RAISE NOTICE USING MESSAGE = format(
        'pdb_run: %s of %s tasks done (%s failed), %s running, %s s%s',
        done, total,
        (SELECT count(*) FROM unnest(outcomes) AS o WHERE (o).status IN ('error', 'timeout', 'cancelled')),
        (SELECT count(*) FROM unnest(states) AS st WHERE st = 'run'),
        round(CAST(extract(epoch FROM clock_timestamp() - started) AS numeric), 1),
        coalesce('; throttled: ' || held, ''));
    IF caller_min_messages NOT IN ('warning', 'error') THEN
        PERFORM set_config('client_min_messages', 'warning', true);
    END IF;
END
$$;

COMMENT ON FUNCTION @extschema@._pdb_report(integer, integer, @extschema@._pdb_outcome[], text[], timestamptz, text, text) IS
'internal: the progress NOTICE of a call of the engine';
