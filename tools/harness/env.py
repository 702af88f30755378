"""Install what the harness needs: Debian packages (as root) and Python packages."""
import importlib.util
import os
import shutil
import subprocess
import sys

PG_MAJOR = "15"

# every Debian package the test command uses
DEBIAN_PACKAGES = [
    f"postgresql-{PG_MAJOR}",
    f"postgresql-server-dev-{PG_MAJOR}",
    f"postgresql-{PG_MAJOR}-pgtap",
    f"postgresql-{PG_MAJOR}-plpgsql-check",
    "libtap-parser-sourcehandler-pgtap-perl",
    "pgxnclient",
    "make",
    "git",
    "parallel",
]

# import name -> pip requirement
PYTHON_PACKAGES = {
    "psycopg": "psycopg[binary]>=3.1",
    "pytest": "pytest",
    "hypothesis": "hypothesis",
    "matplotlib": "matplotlib",
}


def is_root():
    return os.geteuid() == 0


def missing_debian_packages(packages=DEBIAN_PACKAGES):
    missing = []
    for pkg in packages:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                             capture_output=True, text=True)
        if out.returncode != 0 or "install ok installed" not in out.stdout:
            missing.append(pkg)
    return missing


def ensure_debian_packages(packages=DEBIAN_PACKAGES):
    if shutil.which("dpkg-query") is None:
        raise SystemExit("this harness needs a Debian system (dpkg-query not found)")
    missing = missing_debian_packages(packages)
    if not missing:
        return
    if not is_root():
        raise SystemExit("missing Debian packages: %s\ninstall them with: sudo apt-get install %s"
                         % (", ".join(missing), " ".join(missing)))
    print("installing Debian packages:", " ".join(missing), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                   check=True, env=env)


def ensure_python_packages(packages=PYTHON_PACKAGES):
    missing = [req for mod, req in packages.items() if importlib.util.find_spec(mod) is None]
    if not missing:
        return
    print("installing Python packages:", " ".join(missing), flush=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *missing]
    if subprocess.run(cmd).returncode != 0:
        # Debian's own Python refuses pip without this flag (PEP 668)
        subprocess.run(cmd + ["--break-system-packages"], check=True)
    importlib.invalidate_caches()
