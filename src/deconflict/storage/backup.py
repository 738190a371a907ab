"""Backing up and restoring the embedded SQLite database, through SQLite's online backup API.

`sqlite3.Connection.backup` copies the database page by page as one read transaction, so a copy
taken while the server writes is the database as of one commit (WAL readers never block the
writer). The copy is written beside its destination and renamed into place, so a failure never
leaves half a file under the final name, and is switched to a rollback journal so it is one
self-contained file. A file is accepted as a backup only if SQLite finds it intact and it holds
a deconflict schema.

PostgreSQL is backed up with its own tools (`pg_dump`/`pg_restore`; see the README).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from deconflict.errors import DeconflictError

__all__ = [
    "BackupError",
    "BackupSummary",
    "BackupWriteError",
    "backup_sqlite",
    "restore_sqlite",
]

_REQUIRED_TABLES = frozenset({"alembic_version", "log_head", "log_entries", "checkpoints"})
_COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database; a stale one beside a replaced file corrupts it."""


class BackupError(DeconflictError):
    """A database that cannot be backed up, or a file that is not a usable backup."""

    title = "Backup or restore failed"


class BackupWriteError(BackupError):
    """The copy could not be written (disk, permissions, a locked database)."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup holds: its schema revision, log size and largest signed checkpoint."""

    revision: str
    log_size: int
    checkpoint_size: int | None


def _summary(conn: sqlite3.Connection, path: Path, *, intact: bool = True) -> BackupSummary:
    """Check `conn` is a deconflict database (and, with `intact`, that SQLite finds every page
    sound: a full read, so done on the copy, not the live file) and say what it holds."""
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        (check,) = conn.execute("PRAGMA integrity_check(1)").fetchone() if intact else ("ok",)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from None
    if check != "ok":
        raise BackupError(f"{path} is damaged: {check}")
    missing = _REQUIRED_TABLES - tables
    if missing:
        raise BackupError(f"{path} is not a deconflict database (no {', '.join(sorted(missing))})")
    (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    head = conn.execute("SELECT size FROM log_head WHERE id = 1").fetchone()
    (checkpoint,) = conn.execute("SELECT max(size) FROM checkpoints").fetchone()
    return BackupSummary(
        str(revision),
        0 if head is None else int(head[0]),
        None if checkpoint is None else int(checkpoint),
    )


def _copy(source: sqlite3.Connection, destination: Path) -> None:
    """`source` into a new file renamed to `destination` once complete and self-contained."""
    partial = destination.with_name(f".{destination.name}.partial")
    for leftover in (partial, *(Path(f"{partial}{s}") for s in _COMPANIONS)):
        leftover.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(partial)) as target:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def backup_sqlite(database: Path, output: Path) -> BackupSummary:
    """Copy the live database at `database` to `output`; what the copy holds."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    try:
        with closing(sqlite3.connect(database, timeout=30.0)) as source:
            _summary(source, database, intact=False)
            _copy(source, output)
        with closing(sqlite3.connect(f"{output.resolve().as_uri()}?mode=ro", uri=True)) as copy:
            return _summary(copy, output)
    except sqlite3.Error as exc:
        raise BackupWriteError(f"cannot back up {database} to {output}: {exc}") from None
    except OSError as exc:
        raise BackupWriteError(f"cannot write {output}: {exc.strerror or exc}") from None


def restore_sqlite(backup: Path, database: Path) -> BackupSummary:
    """Replace the database at `database` (stopped: nothing may have it open) with `backup`."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    try:
        with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as source:
            summary = _summary(source, backup)
            database.parent.mkdir(parents=True, exist_ok=True)
            for companion in _COMPANIONS:
                Path(f"{database}{companion}").unlink(missing_ok=True)
            _copy(source, database)
    except sqlite3.Error as exc:
        raise BackupWriteError(f"cannot restore {backup}: {exc}") from None
    except OSError as exc:
        raise BackupWriteError(f"cannot write {database}: {exc.strerror or exc}") from None
    return summary
