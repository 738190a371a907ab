"""Stored notices as each party may see them: rows, derived state, rendering and reads.

A party sees its own notices and the versions disclosed to it; anything else is NotFound,
worded exactly as for a notice that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from deconflict.domain import (
    AckState,
    AgreementTerms,
    Notice,
    NoticeKind,
    NoticeState,
    Page,
)
from deconflict.errors import InvalidInput, NotFound
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_geojson
from deconflict.service.base import Caller, ServiceBase, Tx
from deconflict.service.records import (
    conflict_of,
    disclosure_of,
)
from deconflict.storage import tables as t

__all__ = ["NoticeStore"]

ACKED = {AckState.ACKNOWLEDGED.value, AckState.ACKNOWLEDGED_LATE.value}


class NoticeStore(ServiceBase):
    _terms_cache: dict[tuple[str, int], AgreementTerms]

    def _terms(self, conn: sa.Connection, agreement_id: str, version: int) -> AgreementTerms:
        """An agreement version's terms; versions never change, so they are read once."""
        key = (agreement_id, version)
        terms = self._terms_cache.get(key)
        if terms is None:
            data = conn.execute(
                sa.select(t.agreement_versions.c.terms)
                .where(t.agreement_versions.c.agreement_id == agreement_id)
                .where(t.agreement_versions.c.version == version)
            ).scalar_one()
            terms = self._terms_cache[key] = AgreementTerms.from_dict(data)
        return terms

    def _notice_row(self, conn: sa.Connection, notice_id: str) -> Any:
        return conn.execute(sa.select(t.notices).where(t.notices.c.id == notice_id)).one_or_none()

    def _version_row(self, conn: sa.Connection, notice_id: str, version: int) -> Any:
        return conn.execute(
            sa.select(t.notice_versions)
            .where(t.notice_versions.c.notice_id == notice_id)
            .where(t.notice_versions.c.version == version)
        ).one()

    def _set_state(self, tx: Tx, notice_id: str, state: NoticeState) -> None:
        tx.conn.execute(
            sa.update(t.notices).where(t.notices.c.id == notice_id).values(state=state.value)
        )

    def _refresh_state(self, tx: Tx, notice_id: str) -> None:
        """Derive a live notice's state from its latest version's acknowledgement states."""
        notice = self._notice_row(tx.conn, notice_id)
        if notice.state in (NoticeState.CANCELLED.value, NoticeState.EXPIRED.value):
            return
        states = set(
            tx.conn.execute(
                sa.select(t.disclosures.c.ack_state)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.version == notice.latest_version)
            ).scalars()
        )
        if AckState.ESCALATED.value in states:
            state = NoticeState.ESCALATED
        elif states and states <= ACKED:
            state = NoticeState.ACKNOWLEDGED
        else:
            state = NoticeState.SUBMITTED
        self._set_state(tx, notice_id, state)

    def _visible_versions(self, conn: sa.Connection, notice_id: str, party: str) -> list[int]:
        return list(
            conn.execute(
                sa.select(t.disclosures.c.version)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.party_id == party)
                .order_by(t.disclosures.c.version)
            ).scalars()
        )

    def _deliver(
        self,
        tx: Tx,
        notice_id: str,
        notice: Any,
        party: str,
        version: int | None,
        known: Sequence[Volume] | None = None,
    ) -> Notice:
        """Render one version for `party`, stamping its first delivery.

        A notice that does not exist and one the party may not see raise the same NotFound,
        word for word, so the answer reveals nothing about other parties' notices.
        """
        hidden = NotFound(
            f"notice {notice_id!r} not found"
            if version is None
            else f"notice {notice_id!r} version {version} not found"
        )
        if notice is None:
            raise hidden
        if notice.originator == party:
            latest = notice.latest_version
            visible: Sequence[int] = range(1, latest + 1)
        else:
            visible = self._visible_versions(tx.conn, notice.id, party)
            if not visible:
                raise hidden
            latest = visible[-1]
        version = latest if version is None else version
        if version not in visible:
            raise hidden
        if party != notice.originator:
            tx.conn.execute(
                sa.update(t.disclosures)
                .where(t.disclosures.c.notice_id == notice.id)
                .where(t.disclosures.c.version == version)
                .where(t.disclosures.c.party_id == party)
                .where(t.disclosures.c.first_fetched_at.is_(None))
                .values(first_fetched_at=tx.now)
            )
        return self._render(tx.conn, notice, version, party, latest, known)

    def _render(
        self,
        conn: sa.Connection,
        notice: Any,
        version: int,
        viewer: str,
        latest: int,
        known: Sequence[Volume] | None = None,
    ) -> Notice:
        row = self._version_row(conn, notice.id, version)
        disclosures = sa.select(t.disclosures).where(
            (t.disclosures.c.notice_id == notice.id) & (t.disclosures.c.version == version)
        )
        conflicts = sa.select(t.conflicts).where(
            (t.conflicts.c.notice_id == notice.id) & (t.conflicts.c.version == version)
        )
        if viewer != notice.originator:
            disclosures = disclosures.where(t.disclosures.c.party_id == viewer)
            conflicts = conflicts.where(
                (t.conflicts.c.other_party == viewer) | (t.conflicts.c.other_kind == "hazard")
            )
        return Notice(
            id=notice.id,
            version=version,
            kind=NoticeKind(row.kind),
            agreement_id=notice.agreement_id,
            agreement_version=row.agreement_version,
            originator=notice.originator,
            purpose=row.purpose,
            volumes=(
                tuple(known)
                if known is not None
                else tuple(volume_from_geojson(f) for f in row.volumes)
            ),
            state=NoticeState(notice.state),
            created_at=row.created_at,
            submitted_at=row.submitted_at,
            previous_version=version - 1 if version > 1 else None,
            latest_version=latest,
            disclosures=tuple(
                disclosure_of(d)
                for d in conn.execute(disclosures.order_by(t.disclosures.c.party_id))
            ),
            conflicts=tuple(
                conflict_of(c) for c in conn.execute(conflicts.order_by(t.conflicts.c.id))
            ),
        )

    def get_notice(self, caller: Caller, notice_id: str, version: int | None = None) -> Notice:
        party = self._require_party(caller)
        with self._tx() as tx:
            return self._deliver(
                tx, notice_id, self._notice_row(tx.conn, notice_id), party, version
            )

    def list_notices(
        self,
        caller: Caller,
        *,
        role: str | None = None,
        state: NoticeState | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Notice]:
        """The caller's own notices and those disclosed to it, oldest first, a page at a time."""
        party = self._require_party(caller)
        if not 1 <= limit <= 500:
            raise InvalidInput.at("/limit", "must be between 1 and 500")
        own = t.notices.c.originator == party
        received = t.notices.c.id.in_(
            sa.select(t.disclosures.c.notice_id).where(t.disclosures.c.party_id == party)
        )
        if role == "originator":
            visible = own
        elif role == "recipient":
            visible = received
        elif role is None:
            visible = own | received
        else:
            raise InvalidInput.at("/role", "must be originator or recipient")
        query = sa.select(t.notices).where(visible)
        if state is not None:
            query = query.where(t.notices.c.state == state.value)
        if cursor:
            query = query.where(t.notices.c.id > cursor)
        with self._tx() as tx:
            rows = tx.conn.execute(query.order_by(t.notices.c.id).limit(limit + 1)).all()
            items = tuple(self._deliver(tx, row.id, row, party, None) for row in rows[:limit])
        next_cursor = rows[limit - 1].id if len(rows) > limit else None
        return Page(items, next_cursor)
