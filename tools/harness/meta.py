"""Validate META.json against the PGXN Meta Spec 1.0.0 and against the control file.

Checks what the spec requires (https://pgxn.org/spec/): the mandatory keys and
their types, semantic versions, the provides map, prereqs phases and
relations, release_status and license values; then that the versions agree
with default_version of the control file and that the provided file is the
one the Makefile builds. Returns a list of problems (empty = valid).
"""
import json
import re

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd", "gfdl_1_2",
            "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit", "mozilla_1_0",
            "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay", "sun", "zlib",
            "open_source", "restricted", "unrestricted", "unknown"}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONS = {"requires", "recommends", "suggests", "conflicts"}
STATUSES = {"stable", "testing", "unstable"}


def _version_ok(v):
    # prereq versions may be 0 or a version string (range operators allowed)
    if v == 0 or v == "0":
        return True
    if not isinstance(v, str):
        return False
    return all(SEMVER.match(part.strip().lstrip("<>=!").strip()) for part in v.split(","))


def control_version(control_text):
    m = re.search(r"^default_version\s*=\s*'([^']*)'", control_text, re.M)
    return m.group(1) if m else None


def validate(meta, control_text, extension="parallel_dblink"):
    errors = []
    for key, kind in (("name", str), ("abstract", str), ("version", str), ("maintainer", (str, list)),
                      ("license", (str, list, dict)), ("provides", dict), ("meta-spec", dict)):
        if key not in meta:
            errors.append(f"missing required key {key!r}")
        elif not isinstance(meta[key], kind):
            errors.append(f"{key!r} has the wrong type")
    if errors:
        return errors
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", meta["name"]) or len(meta["name"]) < 2:
        errors.append("name must be at least 2 characters of letters, digits, '-' or '_'")
    if not SEMVER.match(meta["version"]):
        errors.append(f"version {meta['version']!r} is not a semantic version")
    if meta["meta-spec"].get("version") != "1.0.0":
        errors.append("meta-spec.version must be '1.0.0'")
    maint = meta["maintainer"] if isinstance(meta["maintainer"], list) else [meta["maintainer"]]
    if not maint or not all(isinstance(m, str) and m for m in maint):
        errors.append("maintainer must be a non-empty string or list of strings")
    lic = meta["license"]
    names = [lic] if isinstance(lic, str) else (lic if isinstance(lic, list) else list(lic))
    if isinstance(lic, (str, list)) and not all(n in LICENSES for n in names):
        errors.append(f"unknown license {lic!r}")
    if not meta["provides"]:
        errors.append("provides must name at least one extension")
    for ext, p in meta["provides"].items():
        if not isinstance(p, dict) or "file" not in p or "version" not in p:
            errors.append(f"provides.{ext} needs 'file' and 'version'")
            continue
        if not SEMVER.match(p["version"]):
            errors.append(f"provides.{ext}.version is not a semantic version")
    for phase, rels in meta.get("prereqs", {}).items():
        if phase not in PHASES:
            errors.append(f"unknown prereqs phase {phase!r}")
            continue
        for rel, deps in rels.items():
            if rel not in RELATIONS:
                errors.append(f"unknown prereqs relation {phase}.{rel}")
                continue
            for dep, ver in deps.items():
                if not _version_ok(ver):
                    errors.append(f"prereqs.{phase}.{rel}.{dep}: bad version {ver!r}")
    if "release_status" in meta and meta["release_status"] not in STATUSES:
        errors.append("release_status must be stable, testing or unstable")
    for key in ("tags", "no_index", "resources"):
        if key in meta and not isinstance(meta[key], (list, dict)):
            errors.append(f"{key!r} has the wrong type")
    # agreement with the control file and the Makefile
    cv = control_version(control_text)
    if cv is None:
        errors.append("the control file has no default_version")
    else:
        if meta["version"] != cv:
            errors.append(f"META version {meta['version']} != control default_version {cv}")
        p = meta["provides"].get(extension)
        if p is None:
            errors.append(f"provides has no entry for {extension}")
        else:
            if p.get("version") != cv:
                errors.append(f"provides.{extension}.version {p.get('version')} != control {cv}")
            if p.get("file") != f"sql/{extension}--{cv}.sql":
                errors.append(f"provides.{extension}.file should be sql/{extension}--{cv}.sql")
    return errors


def validate_files(meta_path, control_path):
    with open(meta_path) as f:
        try:
            meta = json.load(f)
        except ValueError as e:
            return [f"META.json is not valid JSON: {e}"]
    with open(control_path) as f:
        return validate(meta, f.read())
