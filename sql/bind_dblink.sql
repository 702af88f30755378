
/*
 * Bind the calls made for every task to dblink's schema.
 *
 * _pdb_run calls dblink_send_query, dblink_is_busy and
 * dblink_get_result several times per task. The sources write these calls as
 * "@dblink@".dblink_...(...), next to a constant '@dblink@'; this block
 * re-creates every function of the extension that has them with the schema
 * dblink is installed in, so that they are static calls: PL/pgSQL plans a
 * static call once per session, while a dynamic EXECUTE is parsed and planned
 * on every call (4 to 6 us each when warm, 30 to 150 us after a sleep: twice
 * the throughput on tiny tasks, measured by the benchmark, tools/harness/bench/).
 *
 * The schema cannot be written in the sources: dblink may be installed in any
 * schema, and @extschema:dblink@ needs PostgreSQL 16. Nor can it come from
 * search_path: adding dblink's schema (often public) to the functions' pinned
 * search_path would let whoever can create objects there capture names.
 *
 * If dblink is moved later (ALTER EXTENSION dblink SET SCHEMA), the constant
 * no longer names its schema and the functions go back to dynamic calls
 * through _pdb_dblink_schema(): correct, only slower. Update scripts include
 * this block too, so ALTER EXTENSION parallel_dblink UPDATE binds again.
 * Its operators are written OPERATOR(pg_catalog.x): a DO block runs with the
 * search_path of CREATE EXTENSION, where another schema's operator could win.
 */
DO $bind$
DECLARE
    v_schema name;
    v_fn     oid;
BEGIN
    SELECT n.nspname INTO STRICT v_schema
      FROM pg_catalog.pg_extension AS e
      JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'dblink';
    FOR v_fn IN
        SELECT p.oid
          FROM pg_catalog.pg_proc AS p
          JOIN pg_catalog.pg_depend AS d
            ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
           AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
          JOIN pg_catalog.pg_extension AS e
            ON d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
           AND e.oid OPERATOR(pg_catalog.=) d.refobjid
         WHERE e.extname OPERATOR(pg_catalog.=) 'parallel_dblink'
           AND pg_catalog.strpos(p.prosrc, '@dblink@') OPERATOR(pg_catalog.>) 0
    LOOP
        EXECUTE pg_catalog.replace(pg_catalog.replace(pg_catalog.pg_get_functiondef(v_fn),
                                                      '"@dblink@".', pg_catalog.concat(pg_catalog.quote_ident(v_schema), '.')),
                                   '''@dblink@''', pg_catalog.quote_literal(v_schema));
    END LOOP;
END
$bind$;
