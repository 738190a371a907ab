"""SQLite backups are one self-contained file, checked before they are trusted, and a failed
copy leaves nothing under the final name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconflict.clock import FakeClock
from deconflict.service import ADMIN, Service, default_database_url
from deconflict.storage.backup import (
    BackupError,
    BackupWriteError,
    backup_sqlite,
    restore_sqlite,
)
from deconflict.storage.database import database_file


@pytest.fixture
def live(tmp_path: Path, clock: FakeClock) -> Iterator[Path]:
    """A database with one party, its service still open (as a running server's would be)."""
    data = tmp_path / "data"
    service = Service.open(default_database_url(data), clock=clock)
    service.add_party(ADMIN, "A", party_id="a")
    yield database_file(data)
    service.close()


def test_a_backup_is_one_file_in_rollback_journal_mode(live: Path, tmp_path: Path) -> None:
    assert Path(f"{live}-wal").exists()
    summary = backup_sqlite(live, tmp_path / "copy.db")
    assert (summary.log_size, summary.checkpoint_size, summary.revision) == (1, None, "0007")
    assert not Path(f"{tmp_path / 'copy.db'}-wal").exists()
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert copy.execute("SELECT id FROM parties").fetchall() == [("a",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "data"]


def test_restore_replaces_the_database_and_its_stale_companions(live: Path, tmp_path: Path) -> None:
    backup_sqlite(live, tmp_path / "copy.db")
    target = tmp_path / "other" / "deconflict.db"
    target.parent.mkdir()
    target.write_bytes(b"old")
    Path(f"{target}-wal").write_bytes(b"stale")
    summary = restore_sqlite(tmp_path / "copy.db", target)
    assert summary.log_size == 1
    assert not Path(f"{target}-wal").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["deconflict.db"]


def test_a_failed_copy_leaves_nothing_behind(live: Path, tmp_path: Path) -> None:
    with pytest.raises(BackupWriteError, match="cannot"):
        backup_sqlite(live, tmp_path / "missing-dir" / "copy.db")
    assert not (tmp_path / "missing-dir").exists()


def test_a_damaged_backup_is_refused(live: Path, tmp_path: Path) -> None:
    backup_sqlite(live, tmp_path / "copy.db")
    raw = bytearray((tmp_path / "copy.db").read_bytes())
    page = int.from_bytes(raw[16:18], "big")
    middle = len(raw) // 2 // page * page  # a page's b-tree header, never unused space
    raw[middle : middle + 512] = b"\xff" * 512
    (tmp_path / "broken.db").write_bytes(bytes(raw))
    with pytest.raises(BackupError) as caught:
        restore_sqlite(tmp_path / "broken.db", tmp_path / "r" / "deconflict.db")
    assert not isinstance(caught.value, BackupWriteError)
    assert not (tmp_path / "r" / "deconflict.db").exists()
