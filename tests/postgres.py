"""A throwaway PostgreSQL server for the store tests (and the store benchmark).

``initdb`` makes a cluster in a temporary folder, ``pg_ctl`` starts it on a free port of
127.0.0.1 (no Unix socket outside that folder), and :meth:`Cluster.stop` stops it and removes
the folder. The binaries are Debian's ``postgresql`` package: ``make postgres`` installs it when
missing (as root, as CI runs). PostgreSQL refuses to run as root, so as root the server runs as
the ``postgres`` user the package creates.

Run by hand: ``python -m tests.postgres`` starts a cluster, prints its URL and stops it on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.net import free_port

SKIP = "CLEARWEIGHTS_SKIP_POSTGRES"
USER = "clearweights"


class ClusterError(RuntimeError):
    """The test cluster could not be set up; the message says what to do."""


def _version(bindir: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in bindir.parent.name.split(".") if p.isdigit())


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, else the ones on PATH."""
    debian = [b for b in Path("/usr/lib/postgresql").glob("*/bin") if (b / "initdb").exists()]
    if debian:
        return max(debian, key=_version)
    found = shutil.which("pg_ctl")
    if found and (Path(found).parent / "initdb").exists():
        return Path(found).parent
    return None


class Cluster:
    """One PostgreSQL server with a superuser ``clearweights`` (trust auth, 127.0.0.1 only)."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.port = 0
        self._prefix: list[str] = []
        self._bindir: Path | None = None

    def _run(self, *args: str) -> None:
        try:
            result = subprocess.run(
                [*self._prefix, *args], capture_output=True, text=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{Path(args[0]).name} did not finish in 120 s") from None
        if result.returncode != 0:
            log = ""
            if self.root is not None and (self.root / "server.log").exists():
                log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise ClusterError(f"{Path(args[0]).name} failed: {result.stderr.strip()}\n{log}")

    def start(self) -> Cluster:
        """Create and start the cluster.

        Raises:
            ClusterError: PostgreSQL is not installed, or the server did not start.
        """
        self._bindir = binaries()
        if self._bindir is None:
            raise ClusterError(
                "PostgreSQL is not installed: run 'make postgres' (installs Debian's postgresql "
                f"package as root), or set {SKIP}=1 to skip the PostgreSQL store tests"
            )
        self.root = Path(tempfile.mkdtemp(prefix="clearweights-pg-"))
        try:
            self._create_and_start()
        except BaseException:  # no server or folder is left behind by a failed start
            self.stop()
            raise
        return self

    @property
    def url(self) -> str:
        """The URL of the ``postgres`` database."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        """The store URL of database *name*."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its store URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres",
                             autocommit=True) as connection:  # fmt: skip
            connection.execute(f'create database "{name}"')  # name: the tests' own identifiers
        return self.database_url(name)

    def _create_and_start(self) -> None:
        assert self.root is not None and self._bindir is not None
        if os.geteuid() == 0:  # the server refuses root: run it as the package's user
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterError("running as root, and there is no 'postgres' user") from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        data = str(self.root / "data")
        self._run(str(self._bindir / "initdb"), "-D", data, "-U", USER, "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        # Durability is not what these tests check: no fsync keeps them fast.
        options = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            server = f"-h 127.0.0.1 -p {self.port} -k {self.root} {options}"
            log = str(self.root / "server.log")
            try:
                self._run(str(self._bindir / "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60",
                          "-o", server, "start")  # fmt: skip
                break
            except ClusterError:
                if attempt == 2:
                    raise

    def stop(self) -> None:
        """Stop the server and remove its folder (immediate shutdown: the data is thrown away)."""
        if self.root is None:
            return
        if self._bindir is not None and (self.root / "data" / "postmaster.pid").exists():
            # The folder goes anyway: a server that will not stop loses its data.
            with contextlib.suppress(ClusterError):
                self._run(str(self._bindir / "pg_ctl"), "-D", str(self.root / "data"),
                          "-m", "immediate", "-w", "stop")  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


if __name__ == "__main__":
    import signal

    cluster = Cluster().start()
    print(cluster.url, flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
