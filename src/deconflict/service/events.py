"""Reading the events a party must hear about, and waiting for new ones (for push)."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.domain import Event, EventKind, Page
from deconflict.errors import InvalidInput
from deconflict.service.base import Caller, ServiceBase
from deconflict.service.records import event_of
from deconflict.storage import tables as t

__all__ = ["EventUseCases"]

POLL_S = 1.0


class EventUseCases(ServiceBase):
    def list_events(
        self,
        caller: Caller,
        *,
        after_id: int = 0,
        kind: EventKind | None = None,
        limit: int = 100,
    ) -> Page[Event]:
        """Events in the caller's audience (all of them for the admin), after `after_id`."""
        if not 1 <= limit <= 500:
            raise InvalidInput.at("/limit", "must be between 1 and 500")
        query = sa.select(t.events).where(t.events.c.id > after_id)
        if caller.party_id is not None:
            query = query.where(
                t.events.c.id.in_(
                    sa.select(t.event_audience.c.event_id).where(
                        t.event_audience.c.party_id == caller.party_id
                    )
                )
            )
        if kind is not None:
            query = query.where(t.events.c.kind == kind.value)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(t.events.c.id).limit(limit + 1)).all()
        items = tuple(event_of(row) for row in rows[:limit])
        return Page(items, str(items[-1].id) if len(rows) > limit else None)

    def wait_for_events(self, caller: Caller, after_id: int, timeout_s: float) -> list[Event]:
        """New events for the caller, waiting up to `timeout_s` for the first one to arrive."""
        waited = 0.0
        while True:
            items = self.list_events(caller, after_id=after_id).items
            if items or waited >= timeout_s:
                return list(items)
            step = min(POLL_S, timeout_s - waited)
            with self._events_changed:
                self._events_changed.wait(step)
            waited += step
