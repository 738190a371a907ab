"""Every repository on one connection, so a use case reads and writes through one object."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.storage.agreements import AgreementStore
from deconflict.storage.aircraft import AircraftStore
from deconflict.storage.airspace import AirspaceStore
from deconflict.storage.alerts import AlertStore
from deconflict.storage.checkpoints import CheckpointStore
from deconflict.storage.conflicts import ConflictStore
from deconflict.storage.disclosures import DisclosureStore
from deconflict.storage.events import EventStore
from deconflict.storage.indexed import IndexedStore
from deconflict.storage.log_entries import LogEntryStore
from deconflict.storage.notices import NoticeStore
from deconflict.storage.parties import PartyStore
from deconflict.storage.settings import SettingStore
from deconflict.storage.status import StatusStore
from deconflict.storage.track_history import TrackHistoryStore

__all__ = ["Repositories"]


class Repositories:
    """The repositories on `conn`; `postgres` turns on row locks where SQLite needs none."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self.agreements = AgreementStore(conn, postgres=postgres)
        self.aircraft = AircraftStore(conn, postgres=postgres)
        self.alerts = AlertStore(conn)
        self.airspace = AirspaceStore(conn)
        self.checkpoints = CheckpointStore(conn, postgres=postgres)
        self.conflicts = ConflictStore(conn)
        self.disclosures = DisclosureStore(conn, postgres=postgres)
        self.entries = LogEntryStore(conn, postgres=postgres)
        self.events = EventStore(conn)
        self.indexed = IndexedStore(conn)
        self.notices = NoticeStore(conn, postgres=postgres)
        self.parties = PartyStore(conn)
        self.settings = SettingStore(conn)
        self.status = StatusStore(conn)
        self.track_history = TrackHistoryStore(conn)
