"""Stored events and the audience of each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from deconflict.domain import Event, EventKind
from deconflict.domain.facts import EventDraft
from deconflict.storage import tables as t

__all__ = ["EventStore"]

e = t.events.c


class EventStore:
    """Events on one connection; ids grow with insertion."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, draft: EventDraft, at: datetime, audience: Collection[str]) -> int:
        result = self._conn.execute(
            t.events.insert().values(
                kind=draft.kind.value,
                at=at,
                agreement_id=draft.agreement_id,
                notice_id=draft.notice_id,
                version=draft.version,
                party_id=draft.party,
                due_at=draft.due_at,
                data=dict(draft.data),
            )
        )
        event_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if audience:
            self._conn.execute(
                t.event_audience.insert(),
                [{"event_id": event_id, "party_id": p} for p in sorted(audience)],
            )
        return event_id

    def after(
        self, after_id: int, limit: int, *, audience: str | None, kind: EventKind | None
    ) -> list[Event]:
        """Up to `limit` events after `after_id`, in id order: those heard by `audience`, or
        all if it is None."""
        query = sa.select(t.events).where(e.id > after_id)
        if audience is not None:
            query = query.where(
                e.id.in_(
                    sa.select(t.event_audience.c.event_id).where(
                        t.event_audience.c.party_id == audience
                    )
                )
            )
        if kind is not None:
            query = query.where(e.kind == kind.value)
        return [
            Event(
                id=row.id,
                kind=EventKind(row.kind),
                at=row.at,
                agreement_id=row.agreement_id,
                notice_id=row.notice_id,
                version=row.version,
                party=row.party_id,
                due_at=row.due_at,
                data=dict(row.data),
            )
            for row in self._conn.execute(query.order_by(e.id).limit(limit))
        ]
