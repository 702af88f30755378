"""Install what the harness needs: Debian packages (as root) and Python packages.

Python packages go into a virtual environment of the project (.venv at the top
of the checkout, git-ignored; PDB_VENV names another place): tools/pdb.py
re-runs itself there, so nothing is installed into the system's Python.
"""
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pg_major():
    """The major version of the PostgreSQL server installed here (pg_config's, else the newest; None if none)."""
    out = subprocess.run(["pg_config", "--version"], capture_output=True, text=True) \
        if shutil.which("pg_config") else None
    m = re.search(r"PostgreSQL (\d+)", out.stdout) if out and out.returncode == 0 else None
    if m:
        return m.group(1)
    majors = sorted((int(os.path.basename(d)) for d in glob.glob("/usr/lib/postgresql/*")
                     if os.path.basename(d).isdigit()), reverse=True)
    return str(majors[0]) if majors else None


def debian_packages(major):
    """Every Debian package the test command uses, for PostgreSQL major."""
    return [
        f"postgresql-{major}",
        f"postgresql-server-dev-{major}",
        f"postgresql-{major}-pgtap",
        f"postgresql-{major}-plpgsql-check",
        f"postgresql-{major}-cron",   # the README's pg_cron example (test_readme.py)
        "libtap-parser-sourcehandler-pgtap-perl",
        "pgxnclient",
        "make",
        "git",
        "parallel",
        "sqlsmith",
        "python3-venv",
        "ca-certificates",
    ]


# import name -> pip requirement; the benchmark adds matplotlib
PYTHON_PACKAGES = {
    "psycopg": "psycopg[binary]>=3.1",
    "pytest": "pytest",
    "hypothesis": "hypothesis",
    "tabulate": "tabulate",   # the benchmark's markdown tables (tools/harness/bench/report.py)
}
# pgspot needs Python 3.10 or later: it reads the one install script on the host, not in each chroot
SCRIPT_PACKAGES = {"pgspot": "pgspot"}
BENCH_PACKAGES = dict(PYTHON_PACKAGES, matplotlib="matplotlib")


def is_root():
    return os.geteuid() == 0


def missing_debian_packages(packages):
    missing = []
    for pkg in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                             capture_output=True, text=True)
        if out.returncode != 0 or "install ok installed" not in out.stdout:
            missing.append(pkg)
    return missing


def ensure_debian_packages(packages=None):
    if shutil.which("dpkg-query") is None:
        raise SystemExit("this harness needs a Debian system (dpkg-query not found)")
    if packages is None and pg_major() is None:
        _apt_install(["postgresql"])  # no server at all: Debian's default version
    missing = missing_debian_packages(packages or debian_packages(pg_major()))
    if missing:
        _apt_install(missing)


def _apt_install(missing):
    if not is_root():
        raise SystemExit("missing Debian packages: %s\ninstall them with: sudo apt-get install %s"
                         % (", ".join(missing), " ".join(missing)))
    print("installing Debian packages:", " ".join(missing), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, env=env)


def venv_dir():
    return os.environ.get("PDB_VENV") or os.path.join(ROOT, ".venv")


def enter_venv():
    """Re-run this program in the project's virtual environment, making it first if needed."""
    venv = os.path.realpath(venv_dir())
    if os.path.realpath(sys.prefix) == venv:
        return
    python = os.path.join(venv, "bin", "python3")
    if not os.path.exists(python):
        print("making the virtual environment", venv, flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    os.execv(python, [python, *sys.argv])


def ensure_python_packages(packages=PYTHON_PACKAGES):
    """Install the missing ones into the virtual environment this program runs in."""
    if sys.prefix == sys.base_prefix:
        raise SystemExit("not in a virtual environment: call harness.env.enter_venv() first")
    missing = [req for mod, req in packages.items() if importlib.util.find_spec(mod) is None]
    if not missing:
        return
    print("installing Python packages:", " ".join(missing), flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *missing], check=True)
    importlib.invalidate_caches()
