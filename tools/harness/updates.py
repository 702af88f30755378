"""Released SQL stays released: frozen install scripts and update scripts.

- sql/releases/parallel_dblink--X.sql is the install script of released
  version X, frozen when it was released (`tools/pdb.py freeze`). If the
  control file's version has been released, the script the Makefile builds
  must still equal the frozen one: a change to released SQL needs a new version
  and an update script.
- For every sql/updates/parallel_dblink--A--B.sql, installing A then
  ALTER EXTENSION parallel_dblink UPDATE TO 'B' must give the same functions
  (signature, body, settings, privileges, volatility, comment), views and
  their privileges as a fresh install of B.
"""
import filecmp
import glob
import os
import re
import shutil

EXT = "parallel_dblink"

SNAPSHOT = f"""
SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
    SELECT format('function %s returns %s %s secdef=%s config=%s acl=%s comment=%s body=%s',
                  p.oid::regprocedure, pg_get_function_result(p.oid), p.provolatile, p.prosecdef,
                  p.proconfig, p.proacl, obj_description(p.oid, 'pg_proc'), md5(p.prosrc)) AS line
      FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = '{EXT}'
    UNION ALL
    SELECT format('relation %s kind=%s acl=%s comment=%s def=%s', c.oid::regclass, c.relkind, c.relacl,
                  obj_description(c.oid, 'pg_class'), md5(coalesce(pg_get_viewdef(c.oid), '')))
      FROM pg_class c
      JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = '{EXT}'
    UNION ALL
    SELECT format('extension version=%s config=%s', extversion,
                  (SELECT array_agg(c::regclass::text ORDER BY c::regclass::text) FROM unnest(extconfig) AS c))
      FROM pg_extension WHERE extname = '{EXT}'
) AS s
"""


def control_version(root):
    with open(os.path.join(root, f"{EXT}.control")) as f:
        return re.search(r"^default_version\s*=\s*'([^']*)'", f.read(), re.M).group(1)


def check_frozen(root):
    """The built install script of a released version equals its frozen copy."""
    version = control_version(root)
    frozen = os.path.join(root, "sql", "releases", f"{EXT}--{version}.sql")
    built = os.path.join(root, "sql", f"{EXT}--{version}.sql")
    if not os.path.exists(frozen):
        print(f"release check: {version} is not released yet (no {os.path.relpath(frozen, root)})")
        return True
    if filecmp.cmp(frozen, built, shallow=False):
        print(f"release check: the install script of {version} equals its frozen release")
        return True
    print(f"release check: FAILED: sql/ changed the released {version}; bump default_version and add "
          f"sql/updates/{EXT}--{version}--<new>.sql")
    return False


def check_updates(root, cluster):
    """Each update script gives what a fresh install gives."""
    scripts = sorted(glob.glob(os.path.join(root, "sql", "updates", f"{EXT}--*--*.sql")))
    if not scripts:
        print("update check: no update scripts yet")
        return True
    ok = True
    for path in scripts:
        a, b = re.match(rf"{EXT}--(.+)--(.+)\.sql$", os.path.basename(path)).groups()
        db_up, db_new = f"pdb_up_{a}_{b}".replace(".", "_"), f"pdb_new_{b}".replace(".", "_")
        for db in (db_up, db_new):
            cluster.psql(f"DROP DATABASE IF EXISTS {db}")
            cluster.psql(f"CREATE DATABASE {db}")
        cluster.psql(f"CREATE EXTENSION {EXT} VERSION '{a}' CASCADE; ALTER EXTENSION {EXT} UPDATE TO '{b}'",
                     dbname=db_up)
        cluster.psql(f"CREATE EXTENSION {EXT} VERSION '{b}' CASCADE", dbname=db_new)
        updated, fresh = cluster.psql(SNAPSHOT, dbname=db_up), cluster.psql(SNAPSHOT, dbname=db_new)
        if updated == fresh:
            print(f"update check: {a} -> {b} gives the same objects as a fresh {b}")
        else:
            ok = False
            print(f"update check: FAILED: {a} -> {b} differs from a fresh {b}:")
            old, new = set(updated.splitlines()), set(fresh.splitlines())
            for line in sorted(old - new):
                print("  updated only:", line)
            for line in sorted(new - old):
                print("  fresh only:  ", line)
    return ok


def freeze(root):
    """Freeze the install script of the control file's version as released."""
    version = control_version(root)
    built = os.path.join(root, "sql", f"{EXT}--{version}.sql")
    target = os.path.join(root, "sql", "releases", f"{EXT}--{version}.sql")
    if os.path.exists(target):
        raise SystemExit(f"{version} is already frozen")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(built, target)
    print(f"froze {os.path.relpath(target, root)}")
