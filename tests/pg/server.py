"""A real, throw-away PostgreSQL server for tests and benchmarks: initdb in a temp dir, loopback port, stop by PID.

Run as root, the server runs as the unprivileged `postgres` account Debian's package creates (PostgreSQL refuses
to run as root); run as anyone else, it runs as that user. Nothing outside the temp dir is touched.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Durability off: a test cluster is thrown away, and fsync on a shared 2-core machine only makes tests slow.
FAST = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "shared_buffers=32MB", "max_connections=200"]
REPLICATION = ["wal_level=replica", "max_wal_senders=8", "hot_standby=on"]


def bindir() -> Path | None:
    """The directory of initdb/postgres/pg_basebackup: pg_config's, else the newest /usr/lib/postgresql/N/bin."""
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        if (base / "initdb").exists():
            return base
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def available() -> bool:
    """True when the PostgreSQL server programs are installed here."""
    return bindir() is not None


def free_port() -> int:
    """A loopback port nobody listens on now (the server start retries if another process takes it first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_LIBC = None
if sys.platform.startswith("linux"):
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: the child between fork and exec should only call it


def _end_with_parent() -> None:
    """In the server's child process: a fast shutdown (SIGINT) when the process that started it dies, so a test run
    killed by a timeout or `kill -- -PGID` leaves no server behind (Linux prctl PR_SET_PDEATHSIG)."""
    if _LIBC is not None:
        _LIBC.prctl(1, int(signal.SIGINT), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def _account() -> tuple[str | None, int, int]:
    """(user name to run as, uid, gid): `postgres` when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None, os.getuid(), os.getgid()
    import pwd

    try:
        pw = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise RuntimeError("as root the server runs as the `postgres` account: apt-get install postgresql") from exc
    return "postgres", pw.pw_uid, pw.pw_gid


@dataclass
class PgServer:
    """One postmaster we started: its data dir, port and PID; `stop()` ends exactly that process."""

    root: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    @property
    def pid(self) -> int | None:
        """The postmaster's PID (the process we spawned)."""
        return self.proc.pid if self.proc else None

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for `dbname` on this server (trust auth on loopback only)."""
        return f"postgresql://kb@127.0.0.1:{self.port}/{dbname}"

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        _user, uid, gid = _account()
        done = subprocess.run(args, user=uid, group=gid, capture_output=True, text=True, **kw)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()}")
        return done

    def init(self) -> None:
        """initdb: superuser `kb`, trust on loopback (the temp cluster is reachable only from this machine)."""
        bins = bindir()
        if bins is None:
            raise RuntimeError("PostgreSQL is not installed (scripts/pg_server.sh installs it)")
        _user, uid, gid = _account()
        self.root.mkdir(parents=True, exist_ok=True)
        os.chown(self.root, uid, gid)
        self._run(
            [
                str(bins / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "kb",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )

    def start(self, timeout: float = 60) -> None:
        """Start the postmaster on a free loopback port and wait until it accepts connections."""
        bins = bindir()
        assert bins is not None
        _user, uid, gid = _account()
        for _attempt in range(5):
            self.port = free_port()
            settings = [
                *FAST,
                *REPLICATION,
                *self.extra,
                "listen_addresses=127.0.0.1",
                f"port={self.port}",
                f"unix_socket_directories={self.root}",
            ]
            args = [str(bins / "postgres"), "-D", str(self.datadir)]
            for s in settings:
                args += ["-c", s]
            log = open(self.root / "server.log", "ab")  # noqa: SIM115 - the server writes it until it stops
            self.proc = subprocess.Popen(
                args, user=uid, group=gid, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_end_with_parent
            )
            atexit.register(self.stop)  # a test run that ends without its teardown still stops its server
            log.close()
            if self._wait_ready(bins, timeout):
                return
            self.stop()
        raise RuntimeError(f"PostgreSQL did not start; log:\n{self.log_tail()}")

    def _wait_ready(self, bins: Path, timeout: float) -> bool:
        """Poll pg_isready until the server answers; False when the process exited (port taken) or timed out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            done = subprocess.run(
                [str(bins / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if done.returncode == 0:
                return True
            time.sleep(0.2)
        return False

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server log (for failures)."""
        f = self.root / "server.log"
        return "\n".join(f.read_text(errors="replace").splitlines()[-lines:]) if f.exists() else ""

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown of the postmaster we started (SIGINT to its PID), SIGKILL if it does not end in time."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def replica(self, root: Path | None = None) -> PgServer:
        """A streaming replica of this server: pg_basebackup -R into root (a new /tmp dir), on its own port."""
        root = Path(root or tempfile.mkdtemp(prefix="kb-pg-replica-"))
        bins = bindir()
        assert bins is not None
        _user, uid, gid = _account()
        root.mkdir(parents=True, exist_ok=True)
        os.chown(root, uid, gid)
        standby = PgServer(root)
        self._run(
            [
                str(bins / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "kb",
                "-D",
                str(standby.datadir),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ]
        )
        standby.start()
        return standby


def start_server(root: Path | None = None) -> PgServer:
    """initdb + start in a new temp dir (or `root`)."""
    server = PgServer(Path(root or tempfile.mkdtemp(prefix="kb-pg-")))
    server.init()
    server.start()
    return server


def remove(server: PgServer) -> None:
    """Stop the server and delete its temp dir."""
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


if __name__ == "__main__":  # manual use: start one, print its URL, stop on Ctrl-C
    srv = start_server()
    print(srv.url(), "pid", srv.pid, flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        remove(srv)
