"""A throwaway PostgreSQL server for the tests, on 127.0.0.1 in a temporary folder.

`start_server` finds the server programs of the Debian package ``postgresql``
(``/usr/lib/postgresql/<version>/bin``), makes a cluster in a new temporary
folder with ``initdb``, and starts it with ``pg_ctl`` on a free loopback port
with trust authentication (nothing listens beyond 127.0.0.1, and the cluster
is deleted afterwards). As root, the programs run as the ``postgres`` user
through ``runuser``, since ``initdb`` refuses to run as root.

``KIEMPHIEU_TEST_PG_URL`` set beforehand (``postgresql+psycopg://user@host:port/db``)
makes the tests use that server instead; each test still gets its own database.

``bash dev.sh test`` installs the Debian package when it is missing. Without
the programs, PostgreSQL tests are skipped with the reason; under ``CI=true``
they fail instead, so CI cannot pass without having run them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

URL_ENV = "KIEMPHIEU_TEST_PG_URL"


class NoServer(RuntimeError):
    """PostgreSQL server programs are not installed."""


@dataclass
class Server:
    url: str  # admin URL, database "postgres"
    data_dir: Path | None = None
    pg_ctl: Path | None = None
    run_as: list[str] | None = None

    def new_database(self) -> str:
        """Create an empty database; return its SQLAlchemy URL."""
        import psycopg

        name = f"kp_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(self.url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(_libpq(self.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.data_dir is None or self.pg_ctl is None:
            return
        subprocess.run([*(self.run_as or []), str(self.pg_ctl), "stop", "-D", str(self.data_dir),
                        "-m", "immediate", "-w"], capture_output=True, timeout=60)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def server_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first; None if not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*, fsync: bool = False) -> Server:
    """Start a new cluster; raise `NoServer` if PostgreSQL is not installed.

    ``fsync=False`` (tests) trades durability against a machine crash for
    speed; the benchmark starts it with ``fsync=True``.
    """
    if os.environ.get(URL_ENV):
        return Server(os.environ[URL_ENV])
    bindir = server_bin()
    if bindir is None:
        raise NoServer("PostgreSQL server programs not found (Debian: apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="kiemphieu-pg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run(
            [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"],
            check=True, capture_output=True, timeout=120,
        )
        port = free_port()
        opts = (f"-h 127.0.0.1 -p {port} -k {root} -c max_connections=200 "
                f"-c fsync={'on' if fsync else 'off'} -c full_page_writes={'on' if fsync else 'off'}")
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
             "-l", str(root / "server.log"), "-o", opts],
            check=True, capture_output=True, timeout=120,
        )
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr!r} {detail}") from None
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    server = Server(url, data, bindir / "pg_ctl", run_as)
    _wait(server)
    return server


def _wait(server: Server, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(_libpq(server.url), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
