"""Reading the events a party must hear about, and waiting for new ones (for push)."""

from __future__ import annotations

from deconflict.domain import Event, EventKind, Page
from deconflict.errors import InvalidInput
from deconflict.limits import MAX_INT32
from deconflict.service.context import Context
from deconflict.service.visibility import Caller, audience_of

__all__ = ["Events"]

POLL_S = 1.0


class Events:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def list_page(
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
        if not 0 <= after_id <= MAX_INT32:
            raise InvalidInput.at("/after", f"must be an event id, from 0 to {MAX_INT32}")
        with self._ctx.read() as repos:
            found = repos.events.after(after_id, limit + 1, audience=audience_of(caller), kind=kind)
        items = tuple(found[:limit])
        return Page(items, str(items[-1].id) if len(found) > limit else None)

    def wait(self, caller: Caller, after_id: int, timeout_s: float) -> list[Event]:
        """New events for the caller, waiting up to `timeout_s` for the first one to arrive."""
        waited = 0.0
        while True:
            self._ctx.heard_from(caller.party_id)  # an open stream keeps its channel alive
            items = self.list_page(caller, after_id=after_id).items
            if items or waited >= timeout_s:
                return list(items)
            step = min(POLL_S, timeout_s - waited)
            with self._ctx.events_changed:
                self._ctx.events_changed.wait(step)
            waited += step
