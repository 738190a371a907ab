"""Stored alerts: each alert as last reported, and the parties that hear it."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.domain.alerts import AlertRecord, AlertState
from deconflict.storage import tables as t

__all__ = ["AlertStore"]


class AlertStore:
    """Alerts on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def put(self, alert: AlertRecord) -> None:
        """Store an alert's latest report (its first, or a later one of the same alert)."""
        values = {
            "kind": alert.kind.value,
            "state": alert.state.value,
            "raised_at": alert.raised_at,
            "reported_at": alert.reported_at,
            "cleared_at": alert.cleared_at,
            "data": alert.data(),
        }
        a = t.alerts.c
        updated = self._conn.execute(t.alerts.update().where(a.id == alert.id).values(**values))
        if updated.rowcount:
            return
        self._conn.execute(t.alerts.insert().values(id=alert.id, **values))
        self._conn.execute(
            t.alert_parties.insert(),
            [{"alert_id": alert.id, "party_id": p} for p in sorted(alert.parties)],
        )

    def get(self, alert_id: str) -> AlertRecord | None:
        row = self._conn.execute(
            sa.select(t.alerts.c.data).where(t.alerts.c.id == alert_id)
        ).first()
        return None if row is None else AlertRecord.from_data(row.data)

    def heard_by(
        self, party: str | None, *, state: AlertState | None = None, limit: int = 100
    ) -> list[AlertRecord]:
        """The newest `limit` alerts `party` hears (all, for None), newest raised first."""
        a = t.alerts.c
        query = sa.select(a.data).order_by(a.raised_at.desc(), a.id.desc()).limit(limit)
        if party is not None:
            query = query.where(
                a.id.in_(
                    sa.select(t.alert_parties.c.alert_id).where(t.alert_parties.c.party_id == party)
                )
            )
        if state is not None:
            query = query.where(a.state == state.value)
        return [AlertRecord.from_data(row.data) for row in self._conn.execute(query)]

    def active(self) -> list[AlertRecord]:
        """Every alert not yet cleared, oldest raised first."""
        a = t.alerts.c
        rows = self._conn.execute(
            sa.select(a.data).where(a.state == AlertState.ACTIVE.value).order_by(a.raised_at, a.id)
        )
        return [AlertRecord.from_data(row.data) for row in rows]
