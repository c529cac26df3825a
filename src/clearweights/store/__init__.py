"""The result store: audits kept in SQLite (the default) or PostgreSQL, migrated by Alembic.

Imports SQLAlchemy and Alembic, which the ``store`` extra installs; the base install of
clearweights never imports this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from clearweights.errors import StoreError
from clearweights.scale.items import Outcome
from clearweights.store.head import at_head
from clearweights.store.lookup import Known, done_rows
from clearweights.store.models import (
    AuditRow,
    FindingRow,
    LicenceRow,
    ReleaseRow,
    RunRow,
    VerdictRow,
)

MIGRATIONS = Path(__file__).parent / "migrations"
Identity = tuple[str, str, str]


def store_url(location: str) -> str:
    """A database URL for *location*: a URL as given, a plain path as an SQLite file."""
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser().resolve()}"


def now() -> str:
    """The time, in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets readers query while the one writer writes; foreign keys make deletes cascade.

    The busy timeout comes first: switching to WAL takes a lock, and without it a connection
    opened while another writes fails at once with "database is locked". A new store gets
    16 KiB pages (an existing one keeps its own): an audit's JSON, about 20 KB, then spans two
    pages instead of five, and a scan's writes cost about a third less CPU.
    """
    cursor = connection.cursor()
    for pragma in (
        "busy_timeout=10000",
        "page_size=16384",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _migrate(engine: Engine, shown: str) -> None:
    """Bring the schema to this version's head; refuse a schema from a newer clearweights."""
    if at_head(engine, MIGRATIONS):
        return
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = {s.revision for s in script.walk_revisions()}
    if current is not None and current not in known:
        raise StoreError(
            f"its schema is at revision {current}, newer than this clearweights knows "
            f"(up to {head}); nothing was changed",
            path=shown,
            hint="upgrade clearweights to use this store, or pass another --store",
        )
    if current != head:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


class Store:
    """Where scans keep their audits; one writer (this object), any number of readers."""

    def __init__(self, location: str):
        url = store_url(location)
        try:
            self.engine = create_engine(url)
        except ImportError as exc:  # the URL names a driver that is not installed
            raise StoreError(
                f"needs the database driver {exc.name or exc}, which is not installed",
                path=location,
                hint="pip install 'clearweights[store]' (SQLAlchemy, Alembic and psycopg)",
            ) from None
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StoreError(f"is not a usable store URL: {exc}", path=location) from None
        self.shown = self.engine.url.render_as_string(hide_password=True)
        self._known: Known | None = None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            _migrate(self.engine, self.shown)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StoreError(f"could not be opened: {_reason(exc)}", path=self.shown) from None
        except ImportError as exc:
            self.engine.dispose()
            raise StoreError(
                f"cannot be migrated: {exc.name or exc} is not installed",
                path=self.shown,
                hint="pip install 'clearweights[store]' (SQLAlchemy, Alembic and psycopg)",
            ) from None
        except BaseException:  # a refused (newer) schema, Ctrl-C: no connection is left open
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def done(self, items: Sequence[Identity], tool: str, catalogue: str) -> set[Identity]:
        """Which of *items* already have a successful audit by these versions.

        During a run (after :meth:`start_run`, on its thread), once the keys asked about come
        to an eighth of a source's successful audits and those are at most ``PRELOAD_MAX``,
        they are read once, whole, and answered from memory (the run's failures taken out by
        :meth:`write`; its successes, not kept in memory, are asked of the store). Otherwise
        one query per source kind and chunk of keys (the ``source, key`` index); revisions are
        matched here rather than in a row-value ``IN``.
        """
        wanted = set(items)
        found: set[Identity] = set()
        known = self._known
        known = known if known is not None and known.serves(tool, catalogue) else None
        with self._guard(), self.engine.connect() as connection:
            sources = {i[0] for i in wanted}
            for source in sources:
                mine = wanted if len(sources) == 1 else {i for i in wanted if i[0] == source}
                if known is not None and known.ready(connection, source, len(mine)):
                    read = mine & known.entries[source]
                    found |= read
                    if source not in known.written:  # nothing done that the set lacks
                        continue
                    mine = mine - read  # the rest may be this run's own successes: asked below
                keys = {i[1] for i in mine}
                for chunk in _chunks(sorted(keys)):
                    found.update(
                        (source, k, r)
                        for k, r in done_rows(connection, source, chunk, tool, catalogue)
                        if (source, k, r) in wanted
                    )
        return found

    def start_run(self, tool: str, catalogue: str) -> int:
        """Record the start of a scan."""
        row = {"started_at": now(), "tool_version": tool, "catalogue_version": catalogue,
               "audited": 0, "unchanged": 0, "failed": 0}  # fmt: skip
        with self._guard(), self.engine.begin() as connection:
            run = int(connection.execute(insert(RunRow).returning(RunRow.id), row).scalar_one())
        self._known = Known(tool, catalogue)  # the run's look-ups may read the audits whole
        return run

    def finish_run(self, run: int, audited: int, unchanged: int, failed: int) -> None:
        """Record the end of a scan and its counts."""
        values = {
            "finished_at": now(),
            "audited": audited,
            "unchanged": unchanged,
            "failed": failed,
        }
        self._known = None
        with self._guard(), self.engine.begin() as connection:
            connection.execute(update(RunRow).where(RunRow.id == run).values(**values))

    def write(self, run: int, outcomes: Iterable[Outcome]) -> None:
        """Store a batch of audits in one transaction (replacing any by the same versions).

        Bulk statements: one look-up and one insert of the releases, one delete of the audits
        replaced, one insert of the audits and one per child table, whatever the batch size.
        """
        latest = {(o.item.identity, o.tool_version, o.catalogue_version): o for o in outcomes}
        batch = list(latest.values())  # a release given twice in a batch: its last audit
        if not batch:
            return
        versions = sorted({(o.tool_version, o.catalogue_version) for o in batch})
        if len(versions) > 1:  # a scan writes one pair of versions; other callers are split
            for pair in versions:
                self.write(run, [o for o in batch if (o.tool_version, o.catalogue_version) == pair])
            return
        with self._guard(), self.engine.begin() as connection:
            releases = self._release_ids(connection, [o.item.identity for o in batch])
            ids = [releases[o.item.identity] for o in batch]
            self._drop_audits(connection, ids, batch)
            stamp = now()
            rows = [
                (release, run, o.tool_version, o.catalogue_version,
                 "error" if o.failed else "ok", o.error, o.name, o.weights_license, o.document,
                 stamp, o.seconds)
                for release, o in zip(ids, batch, strict=True)
            ]  # fmt: skip
            # A plain executemany, then the new ids in one query: RETURNING with the rows'
            # order costs one statement per row on SQLite. The audits these versions had for
            # these releases were deleted above, so each release now has exactly one.
            _insert(connection, AuditRow, _AUDIT_COLUMNS, rows)
            audits = self._audit_ids(connection, ids, *versions[0])
            self._write_children(
                connection, ((audits[r], o) for r, o in zip(ids, batch, strict=True))
            )
        self.follow(batch)

    def follow(self, outcomes: Iterable[Outcome]) -> None:
        """Note a batch of this run's outcomes in the run's memory of what is done (on the
        run's thread; :meth:`write` does it, and a scan that writes on another thread calls
        it itself)."""
        known = self._known
        if known is not None and known.serves(*known.versions):
            latest = {(o.item.identity, o.tool_version, o.catalogue_version): o for o in outcomes}
            known.update(o for o in latest.values()
                         if (o.tool_version, o.catalogue_version) == known.versions)  # fmt: skip

    def _release_ids(self, connection: Any, identities: list[Identity]) -> dict[Identity, int]:
        """The row id of each release, inserting the releases not stored yet."""
        ids: dict[Identity, int] = {}
        wanted = set(identities)
        for source, keys in _by_source(wanted).items():
            for chunk in _chunks(sorted(keys)):
                for row_id, key, revision in _releases_of(connection, source, chunk):
                    if (source, key, revision) in wanted:
                        ids[(source, key, revision)] = row_id
        new = sorted(wanted - ids.keys())
        if new:  # a plain executemany, then their ids read back as the others were
            _insert(connection, ReleaseRow, ("source", "key", "revision"), new)
            return self._release_ids(connection, identities)
        return ids

    @staticmethod
    def _audit_ids(
        connection: Any, releases: list[int], tool: str, catalogue: str
    ) -> dict[int, int]:
        """The id of each release's audit by these versions (the one just written)."""
        found: dict[int, int] = {}
        for chunk in _chunks(sorted(set(releases))):
            for release, audit in _audits_of(connection, chunk, tool, catalogue):
                found[release] = max(audit, found.get(release, audit))
        return found

    def _drop_audits(self, connection: Any, releases: list[int], batch: list[Outcome]) -> None:
        """Delete the audits these outcomes replace (same release and versions)."""
        versions = {(o.tool_version, o.catalogue_version) for o in batch}
        for tool, catalogue in versions:
            for chunk in _chunks(sorted(set(releases))):
                old = [audit for _, audit in _audits_of(connection, chunk, tool, catalogue)]
                if not old:
                    continue
                for table in (LicenceRow, VerdictRow, FindingRow):
                    connection.execute(delete(table).where(table.audit_id.in_(old)))
                connection.execute(delete(AuditRow).where(AuditRow.id.in_(old)))

    @staticmethod
    def _write_children(connection: Any, audits: Iterable[tuple[int, Outcome]]) -> None:
        """The normalised rows of each audit: licences, verdicts, findings (executemany)."""
        licences: list[tuple[Any, ...]] = []
        verdicts: list[tuple[Any, ...]] = []
        findings: list[tuple[Any, ...]] = []
        for audit, o in audits:
            licences += [(audit, *row) for row in o.licenses]
            verdicts += [(audit, *row) for row in o.verdicts]
            findings += [(audit, *row) for row in o.findings]
        _insert(
            connection, LicenceRow, ("audit_id", "component", "license_id", "category"), licences
        )
        _insert(connection, VerdictRow, ("audit_id", "framework", "verdict", "label"), verdicts)
        _insert(connection, FindingRow, ("audit_id", "code", "severity", "message"), findings)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for queries; database errors become a :class:`StoreError`."""
        with self._guard(), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turns database errors (a full disk, a lost server) into a :class:`StoreError`."""
        try:
            yield
        except SQLAlchemyError as exc:
            why = f"could not be written or read: {_reason(exc)}"
            raise StoreError(why, path=self.shown) from None


_CHUNK = 500  # bound parameters per IN list, well under every database's limit
_AUDIT_COLUMNS = ("release_id", "run_id", "tool_version", "catalogue_version", "status", "error",
                  "name", "weights_license", "document", "audited_at", "seconds")  # fmt: skip


def _insert(
    connection: Any, table: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert *rows* (values in the order of *columns*): one executemany.

    On SQLite, a prepared statement straight to the driver (the columns are text and numbers,
    which SQLAlchemy passes through unchanged there), skipping its per-row parameter work.
    """
    if not rows:
        return
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table.__tablename__} ({', '.join(columns)}) VALUES ({marks})"
        connection.exec_driver_sql(sql, [tuple(row) for row in rows])
        return
    connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


# The look-ups of a batch's write, prepared and sent straight to the driver on SQLite (keys
# and ids, which SQLAlchemy passes through unchanged there): building and compiling the
# statements cost more than running them. Other databases get SQLAlchemy's statements.
_RELEASES_SQL = "SELECT id, key, revision FROM releases WHERE source = ? AND key IN ({marks})"
_AUDITS_SQL = (
    "SELECT release_id, id FROM audits WHERE release_id IN ({marks})"
    " AND tool_version = ? AND catalogue_version = ?"
)


def _releases_of(connection: Any, source: str, keys: list[str]) -> Iterable[Sequence[Any]]:
    """The id, key and revision of every stored release of *source* with one of *keys*."""
    if connection.dialect.name == "sqlite":
        sql = _RELEASES_SQL.format(marks=", ".join("?" * len(keys)))
        rows: Iterable[Sequence[Any]] = connection.exec_driver_sql(sql, (source, *keys)).all()
        return rows
    query = select(ReleaseRow.id, ReleaseRow.key, ReleaseRow.revision).where(
        ReleaseRow.source == source, ReleaseRow.key.in_(keys)
    )
    found: Iterable[Sequence[Any]] = connection.execute(query).all()
    return found


def _audits_of(
    connection: Any, releases: list[int], tool: str, catalogue: str
) -> Iterable[Sequence[Any]]:
    """The release id and id of every audit of *releases* by these versions."""
    if connection.dialect.name == "sqlite":
        sql = _AUDITS_SQL.format(marks=", ".join("?" * len(releases)))
        rows: Iterable[Sequence[Any]] = connection.exec_driver_sql(
            sql, (*releases, tool, catalogue)
        ).all()
        return rows
    query = select(AuditRow.release_id, AuditRow.id).where(
        AuditRow.release_id.in_(releases),
        AuditRow.tool_version == tool,
        AuditRow.catalogue_version == catalogue,
    )
    found: Iterable[Sequence[Any]] = connection.execute(query).all()
    return found


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _by_source(identities: Iterable[Identity]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for source, key, _ in identities:
        keys.setdefault(source, set()).add(key)
    return keys


def _reason(exc: SQLAlchemyError) -> str:
    """The database's own words, without SQLAlchemy's statement dump."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).strip().splitlines()[0]
    return str(exc).splitlines()[0]


def open_store(location: str, *, create: bool = True) -> Store:
    """Open (and create or migrate) the store at *location*: a URL or an SQLite file path.

    With ``create=False`` (readers such as ``stats``), an SQLite file that does not exist is
    an error rather than a new, empty store.
    """
    if not create and "://" not in location and not Path(location).expanduser().is_file():
        raise StoreError("no such store file", path=location, hint="run clearweights scan first")
    return Store(location)


__all__ = ["Store", "open_store", "store_url"]
