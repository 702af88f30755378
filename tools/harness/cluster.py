"""A throwaway PostgreSQL cluster: private directory, private socket, free port.

initdb and pg_ctl refuse to run as root, so when the harness runs as root the
server runs as the Debian 'postgres' user. It listens on no TCP address unless
tcp=True (then 127.0.0.1 only). stop() removes everything it made.
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

from .env import pg_major


# the cluster of the test command: TCP on 127.0.0.1 with passwords for the roles of
# test/sql/88_non_superuser.sql, and prepared transactions for atomic => true
TEST_SETTINGS = {"max_prepared_transactions": 10, "password_encryption": "'scram-sha-256'"}
TEST_HBA = ["host all pdb_alice,pdb_bob 127.0.0.1/32 scram-sha-256"]


def pg_bindir():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    bindir = out.stdout.strip()
    # Debian's pg_config lives in /usr/bin; the server binaries do not
    if not os.path.exists(os.path.join(bindir, "pg_ctl")):
        bindir = f"/usr/lib/postgresql/{pg_major()}/bin"
    return bindir


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, name="pdb", settings=None, tcp=False, hba=None):
        self.name = name
        self.settings = dict(settings or {})
        self.tcp = tcp
        self.hba = hba or []
        self.bindir = pg_bindir()
        self.port = free_port()
        self.base = None
        self.running = False

    # -- running commands as the server's owner
    def _as_owner(self, args, **kw):
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, **kw)

    @property
    def sockdir(self):
        return self.base

    @property
    def datadir(self):
        return os.path.join(self.base, "data")

    @property
    def logfile(self):
        return os.path.join(self.base, "server.log")

    def env(self, dbname="postgres", user="postgres"):
        """Environment variables for libpq clients (psql, pg_regress, pg_prove)."""
        env = dict(os.environ)
        env.update(PGHOST=self.sockdir, PGPORT=str(self.port), PGUSER=user, PGDATABASE=dbname)
        env.pop("PGPASSWORD", None)
        env.pop("PGSERVICE", None)
        return env

    def dsn(self, dbname="postgres", user="postgres", **extra):
        parts = {"host": self.sockdir, "port": self.port, "dbname": dbname, "user": user}
        parts.update(extra)
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def start(self):
        self.base = tempfile.mkdtemp(prefix=f"{self.name}-")
        os.chmod(self.base, 0o755)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        self._as_owner([os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", "postgres",
                        "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL)
        conf = {
            "listen_addresses": "'127.0.0.1'" if self.tcp else "''",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockdir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "'128MB'",
        }
        conf.update({k: str(v) for k, v in self.settings.items()})
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write("\n# throwaway cluster of the parallel_dblink harness\n")
            for k, v in conf.items():
                f.write(f"{k} = {v}\n")
        if self.hba:
            # the harness's rules go first: pg_hba.conf is read top down
            path = os.path.join(self.datadir, "pg_hba.conf")
            with open(path) as f:
                old = f.read()
            with open(path, "w") as f:
                f.write("\n".join(self.hba) + "\n" + old)
        self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-l", self.logfile,
                        "-w", "-t", "60", "start"], check=True, stdout=subprocess.DEVNULL)
        self.running = True
        return self

    def stop(self):
        if self.running:
            self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", "immediate",
                            "-w", "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.running = False
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def crash(self):
        """Stop at once, as a crash would, keeping the data directory (restart() brings it back)."""
        self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", "immediate", "-w", "stop"],
                       check=True, stdout=subprocess.DEVNULL)

    def restart(self):
        self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-l", self.logfile,
                        "-m", "fast", "-w", "restart"], check=True, stdout=subprocess.DEVNULL)

    def standby(self, name="standby"):
        """A streaming standby of this running cluster: see standby_of."""
        return standby_of(self.sockdir, self.port, name)

    def psql(self, sql, dbname="postgres", user="postgres", check=True):
        """Run SQL with psql (ON_ERROR_STOP); returns stdout."""
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             env=self.env(dbname, user), capture_output=True, text=True)
        if check and out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def server_log(self):
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def standby_of(sockdir, port, name="standby"):
    """A streaming standby of the running cluster on socket directory sockdir and port, made with
    pg_basebackup -R (replication as postgres over the socket: initdb's trust rule), started on its
    own directory, socket and port. stop() it before its primary."""
    sb = Cluster(name)
    sb.base = tempfile.mkdtemp(prefix=f"{name}-")
    os.chmod(sb.base, 0o755)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(sb.base, pw.pw_uid, pw.pw_gid)
    sb._as_owner([os.path.join(sb.bindir, "pg_basebackup"), "-D", sb.datadir, "-R", "-X", "stream",
                  "-h", sockdir, "-p", str(port), "-U", "postgres", "--no-sync", "--checkpoint=fast"],
                 check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(sb.datadir, "postgresql.conf"), "a") as f:
        f.write(f"\n# the standby of the parallel_dblink harness\nport = {sb.port}\n"
                f"unix_socket_directories = '{sb.sockdir}'\nlisten_addresses = ''\n")
    sb._as_owner([os.path.join(sb.bindir, "pg_ctl"), "-D", sb.datadir, "-l", sb.logfile,
                  "-w", "-t", "60", "start"], check=True, stdout=subprocess.DEVNULL)
    sb.running = True
    return sb
