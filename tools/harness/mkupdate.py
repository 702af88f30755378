"""Writes the update script from a released version to the control file's version.

    python3 tools/pdb.py mkupdate --from 0.1.0   # writes sql/updates/parallel_dblink--0.1.0--<version>.sql

It loads the frozen install script of the released version (sql/releases/) and the one the sources
build now, each as plain SQL into a schema of the same name in a database of its own on a throwaway
cluster, and compares what they create. The update script then:
  - drops the views and functions that are gone, or whose signature or result type changed (a view
    that uses a dropped function is dropped and created again);
  - creates the new types and tables from their source files (sql/types/, sql/tables/); a type or
    table that exists in both but changed is not written: it stops with an error, as such a change
    needs a migration written by hand;
  - creates the new functions (and procedures) and views from their files (sql/functions/<name>.sql,
    sql/views/),
    and replaces (CREATE OR REPLACE) those whose body, settings, volatility or comment changed;
  - ends with sql/bind_dblink.sql, which binds the dblink calls again.
The test command checks the result against a fresh install (tools/harness/updates.py).
"""
import glob
import os
import re
import subprocess

import psycopg

from .cluster import Cluster
from .updates import control_version

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXT = "parallel_dblink"
SCHEMA = "pdb_cmp"

FUNCTIONS = f"""
SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
       md5(p.prosrc), p.provolatile, p.proconfig::text, obj_description(p.oid, 'pg_proc')
  FROM pg_proc p WHERE p.pronamespace = '{SCHEMA}'::regnamespace
"""
TYPES = f"""
SELECT t.typname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
  FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE t.typnamespace = '{SCHEMA}'::regnamespace GROUP BY t.typname
"""
TABLES = f"""
SELECT c.relname,
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
                          || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
       || ' | ' || coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
                               FROM pg_constraint k WHERE k.conrelid = c.oid), '')
       || ' | ' || coalesce((SELECT string_agg(pol.polname || pg_get_expr(pol.polqual, pol.polrelid), ', '
                                               ORDER BY pol.polname)
                               FROM pg_policy pol WHERE pol.polrelid = c.oid), '')
  FROM pg_class c WHERE c.relnamespace = '{SCHEMA}'::regnamespace AND c.relkind = 'r'
"""
VIEWS = f"""
SELECT c.relname, pg_get_viewdef(c.oid),
       ARRAY(SELECT DISTINCT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
               FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
               JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
              WHERE r.ev_class = c.oid)
  FROM pg_class c WHERE c.relnamespace = '{SCHEMA}'::regnamespace AND c.relkind = 'v'
"""


class NeedsHand(Exception):
    """A change the generator does not write: a type or table that exists in both versions but changed."""


def install_script(tree):
    """The install script of a source tree, built by its Makefile (ab.py uses it too)."""
    target = f"sql/{EXT}--{control_version(tree)}.sql"
    subprocess.run(["make", "-s", "-C", tree, target], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(tree, target)) as f:
        return f.read()


def plain(script, schema=SCHEMA):
    """An install script as plain SQL into schema, outside CREATE EXTENSION, dblink in public (ab.py too)."""
    script = "\n".join(line for line in script.splitlines()
                       if not line.startswith("\\echo") and "pg_extension_config_dump" not in line)
    return (script.replace('"@dblink@".', "public.").replace("'@dblink@'", "'public'")
            .replace("@extschema@", schema))


def catalog(dsn, script):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION dblink")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute("SET check_function_bodies = off")  # (functions refer to later ones, as in an install)
        conn.execute(plain(script))
        return {
            "functions": {(r[0], r[1]): r[2:] for r in conn.execute(FUNCTIONS)},
            "types": dict(conn.execute(TYPES).fetchall()),
            "tables": dict(conn.execute(TABLES).fetchall()),
            "views": {r[0]: (r[1], r[2]) for r in conn.execute(VIEWS)},
        }


def source_of(kind, name):
    """The source file that creates name (one function per file; types, tables and views by content)."""
    if kind == "functions":
        path = os.path.join(ROOT, "sql", "functions", f"{name}.sql")
        if os.path.exists(path):
            return path
    word = {"functions": "FUNCTION", "types": "TYPE", "tables": "TABLE", "views": "VIEW"}[kind]
    for path in sorted(glob.glob(os.path.join(ROOT, "sql", kind, "*.sql"))):
        with open(path) as f:
            if re.search(rf"^CREATE {word} @extschema@\.{re.escape(name)}\b", f.read(), re.M):
                return path
    raise SystemExit(f"mkupdate: no source file creates {kind[:-1]} {name}")


def read(path, replace=False):
    with open(path) as f:
        text = f.read()
    if replace:
        text = re.sub(r"^CREATE (FUNCTION|PROCEDURE|VIEW) ", r"CREATE OR REPLACE \1 ", text, flags=re.M)
    return text


def plan(old, new):
    """The parts of the update script, in order."""
    dropped = [k for k, v in old["functions"].items()
               if k not in new["functions"] or new["functions"][k][0] != v[0]]
    dropped_names = {f"{n}({a})" for n, a in dropped}
    views_again = sorted(v for v, (_, uses) in old["views"].items()
                         if v in new["views"] and dropped_names & set(uses))
    parts = [("-- views that use a function dropped below (created again further down)",
              [f"DROP VIEW @extschema@.{v};" for v in views_again]),
             ("-- views and functions that are gone, or whose signature or result type changed",
              [f"DROP VIEW @extschema@.{v};" for v in sorted(set(old["views"]) - set(new["views"]))]
              + [f"DROP ROUTINE @extschema@.{n}({a});" for n, a in sorted(dropped)])]
    for kind in ("types", "tables"):
        changed = sorted(k for k in set(old[kind]) & set(new[kind]) if old[kind][k] != new[kind][k])
        if changed:
            raise NeedsHand(f"{kind} changed since the release: {', '.join(changed)}: write that migration by hand")
        files = sorted({source_of(kind, k) for k in set(new[kind]) - set(old[kind])})
        parts.append((f"-- new {kind}", [read(p) for p in files]))
    created = sorted(k for k in new["functions"] if k not in old["functions"] or k in dropped)
    replaced = sorted(k for k in new["functions"] if k in old["functions"] and k not in dropped
                      and new["functions"][k] != old["functions"][k])
    parts.append(("-- new functions", [read(source_of("functions", n)) for n in sorted({n for n, _ in created})]))
    parts.append(("-- functions whose body, settings or comment changed",
                  [read(source_of("functions", n), replace=True) for n in sorted({n for n, _ in replaced})]))
    views = sorted(v for v in new["views"] if v not in old["views"] or v in views_again)
    changed_views = sorted(v for v in new["views"] if v in old["views"] and v not in views_again
                           and new["views"][v][0] != old["views"][v][0])
    parts.append(("-- views", [read(source_of("views", v)) for v in views]
                  + [read(source_of("views", v), replace=True) for v in changed_views]))
    return parts


def main(from_version):
    to_version = control_version(ROOT)
    if from_version == to_version:
        raise SystemExit(f"mkupdate: {from_version} is the control file's version")
    released = os.path.join(ROOT, "sql", "releases", f"{EXT}--{from_version}.sql")
    if not os.path.exists(released):
        raise SystemExit(f"mkupdate: {from_version} is not released (no {os.path.relpath(released, ROOT)})")
    with open(released) as f:
        old_script = f.read()
    new_script = install_script(ROOT)
    with Cluster(name="pdb-mkupdate") as cluster:
        for db in ("pdb_old", "pdb_new"):
            cluster.psql(f"CREATE DATABASE {db}")
        old, new = catalog(cluster.dsn("pdb_old"), old_script), catalog(cluster.dsn("pdb_new"), new_script)
    try:
        parts = plan(old, new)
    except NeedsHand as e:
        print(f"mkupdate: {e}")
        return 1
    out = os.path.join(ROOT, "sql", "updates", f"{EXT}--{from_version}--{to_version}.sql")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(f"-- parallel_dblink {from_version} -> {to_version}.\n"
                "-- Generated by `python3 tools/pdb.py mkupdate` from the sources; edit those instead.\n\n"
                f"\\echo Use \"ALTER EXTENSION parallel_dblink UPDATE TO '{to_version}'\" to load this file. \\quit\n")
        for title, texts in parts:
            if texts:
                sep = "\n" if all("\n" not in t.strip() for t in texts) else "\n\n"
                f.write(f"\n{title}\n" + sep.join(t.strip("\n") for t in texts) + "\n")
        f.write("\n" + read(os.path.join(ROOT, "sql", "bind_dblink.sql")))
    print(f"wrote {os.path.relpath(out, ROOT)}: " + "; ".join(f"{t[3:]}: {len(x)}" for t, x in parts if x))
    return 0
