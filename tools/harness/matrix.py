"""The test command on other PostgreSQL versions, each in a Debian chroot of its own.

Debian ships one PostgreSQL major per suite. The host's own version is tested on
the host; every other one in a chroot of the suite that ships it, made with
`debootstrap --variant=minbase` from the host's own apt mirror on first use and
kept for later runs (PDB_CHROOTS names their folder). A run copies the working
tree into the chroot and runs `tools/pdb.py test --report FILE` there, which
installs that suite's packages like on any Debian machine; the host's
PostgreSQL is never touched. Each run leaves a JSON report: check -> ok.
"""
import json
import os
import re
import shutil
import ssl
import subprocess

from . import env

SUITES = {"13": "bullseye", "15": "bookworm", "17": "trixie", "18": "sid"}
CHROOTS = os.environ.get("PDB_CHROOTS", "/var/cache/parallel_dblink/chroots")
STAMP = ".pdb-ready"
# sid's Release file is past its Valid-Until date on a frozen mirror
APT_OPTIONS = ["-o", "Acquire::Check-Valid-Until=false"]


def host_mirror():
    """The Debian mirror of the host's own apt sources (deb822 or one-line format); PDB_MIRROR overrides."""
    if os.environ.get("PDB_MIRROR"):
        return os.environ["PDB_MIRROR"]
    paths = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]
    for path in paths:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", text, re.M) or \
            re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s", text, re.M)
        if m:
            return m.group(1)
    raise SystemExit("no Debian mirror found in the apt sources: set PDB_MIRROR to the one to use")


def _run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, **kw)


def chroot_dir(major):
    return os.path.join(CHROOTS, f"{SUITES[major]}-pg{major}")


def ensure_chroot(major):
    """The chroot for major, made now unless a finished one is there."""
    root = chroot_dir(major)
    if os.path.exists(os.path.join(root, STAMP)):
        return root
    env.ensure_debian_packages(["debootstrap"])
    shutil.rmtree(root, ignore_errors=True)   # a half-made one from an interrupted run
    os.makedirs(os.path.dirname(root), exist_ok=True)
    mirror = host_mirror()
    suite = SUITES[major]
    _run(["debootstrap", "--variant=minbase", suite, root, mirror], check=True,
         stdout=subprocess.DEVNULL)
    with open(os.path.join(root, "etc/apt/sources.list"), "w") as f:
        f.write(f"deb {mirror} {suite} main\n")
    with open(os.path.join(root, "etc/apt/apt.conf.d/90parallel-dblink"), "w") as f:
        f.write('Acquire::Check-Valid-Until "false";\n')
    with mounted(root):
        chroot_run(root, ["apt-get", *APT_OPTIONS, "update", "-qq"], check=True)
        chroot_run(root, ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                          "python3", "python3-venv", "ca-certificates"], check=True)
    open(os.path.join(root, STAMP), "w").close()
    return root


class mounted:
    """/proc and a tmpfs /dev/shm (PostgreSQL's dynamic shared memory) in the chroot, while in use."""

    def __init__(self, root):
        self.points = [(os.path.join(root, "proc"), ["-t", "proc", "proc"]),
                       (os.path.join(root, "dev/shm"), ["-t", "tmpfs", "tmpfs"])]

    def __enter__(self):
        for point, how in self.points:
            os.makedirs(point, exist_ok=True)
            if not os.path.ismount(point):
                subprocess.run(["mount", *how, point], check=True)
        return self

    def __exit__(self, *exc):
        for point, _ in reversed(self.points):
            subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)


def chroot_env():
    """A clean environment for the chroot: none of the host's settings, pip trusts the host's CAs."""
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
            "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive", "PDB_VENV": "/opt/pdb-venv",
            "PIP_CERT": "/etc/pdb-host-ca.crt", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def chroot_run(root, cmd, **kw):
    return _run(["chroot", root, *cmd], env=chroot_env(), **kw)


def copy_tree(src, root):
    """The working tree (uncommitted changes and .git included) into root/build/parallel_dblink."""
    dest = os.path.join(root, "build/parallel_dblink")
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, symlinks=True,
                    ignore=shutil.ignore_patterns(".venv", "__pycache__", "results", "*.zip"))
    # the host's CA bundle, so that pip reaches the registry through the same path as the host
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and os.path.exists(cafile):
        shutil.copyfile(cafile, os.path.join(root, "etc/pdb-host-ca.crt"))
    return "/build/parallel_dblink"


def run_tests(src, major):
    """Run the test command for major in its chroot; returns check -> ok ({"setup": False} when the run
    left no report: it could not install its packages, or it died)."""
    root = ensure_chroot(major)
    inner = copy_tree(src, root)
    report = os.path.join(root, "build/report.json")
    if os.path.exists(report):
        os.remove(report)
    with mounted(root):
        chroot_run(root, ["python3", f"{inner}/tools/pdb.py", "test", "--report", "/build/report.json"])
    try:
        with open(report) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"setup": False}
