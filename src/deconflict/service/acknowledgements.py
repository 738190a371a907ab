"""Acknowledgements: a recipient records that it received and read one disclosed version."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import sqlalchemy as sa

from deconflict.domain import (
    Acknowledgement,
    AckState,
    EventKind,
    KeyPurpose,
)
from deconflict.errors import Conflict, DeconflictError, InvalidInput, NotFound
from deconflict.log import verify_ack
from deconflict.service.base import Caller, Tx, stamp
from deconflict.service.notice_store import NoticeStore
from deconflict.service.records import (
    acknowledgement_of,
)
from deconflict.storage import tables as t

__all__ = ["AcknowledgementUseCases"]

MAX_TEXT = 2000


class AcknowledgementUseCases(NoticeStore):
    def acknowledge(
        self,
        caller: Caller,
        notice_id: str,
        version: int,
        text: str = "",
        *,
        signature_b64: str | None = None,
        party_received_at: datetime | None = None,
    ) -> Acknowledgement:
        """Record that the caller has received and read one disclosed version."""
        party = self._require_party(caller)
        if len(text) > MAX_TEXT:
            raise InvalidInput.at("/text", f"at most {MAX_TEXT} characters")
        if signature_b64 is not None and party_received_at is None:
            raise InvalidInput.at(
                "/received_at", "a signed acknowledgement states when it was received"
            )
        with self._tx() as tx:
            query = (
                sa.select(t.disclosures)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.version == version)
                .where(t.disclosures.c.party_id == party)
            )
            if self._is_postgres:
                query = query.with_for_update()
            disclosure = tx.conn.execute(query).one_or_none()
            if disclosure is None:
                raise NotFound(f"notice {notice_id!r} version {version} not found")
            if disclosure.acknowledged_at is not None:
                raise Conflict(
                    "already acknowledged",
                    acknowledged_at=disclosure.acknowledged_at,
                )
            notice_entry = self._notice_entry(tx, notice_id, version)
            if signature_b64 is not None and party_received_at is not None:
                self._check_ack_signature(
                    tx, party, notice_entry or "", party_received_at, signature_b64
                )
            late = tx.now > disclosure.ack_due_at or disclosure.escalation_tier > 0
            state = AckState.ACKNOWLEDGED_LATE if late else AckState.ACKNOWLEDGED
            tx.conn.execute(
                sa.update(t.disclosures)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.version == version)
                .where(t.disclosures.c.party_id == party)
                .values(
                    acknowledged_at=tx.now,
                    ack_state=state.value,
                    next_escalation_at=None,
                    first_fetched_at=disclosure.first_fetched_at or tx.now,
                )
            )
            received_at = disclosure.first_fetched_at or tx.now
            tx.conn.execute(
                t.acknowledgements.insert().values(
                    notice_id=notice_id,
                    version=version,
                    party_id=party,
                    received_at=received_at,
                    party_received_at=party_received_at,
                    acknowledged_at=tx.now,
                    text=text,
                    late=late,
                    signature_b64=signature_b64,
                )
            )
            notice = self._notice_row(tx.conn, notice_id)
            self._log(
                tx,
                "ack",
                party,
                {
                    "notice_id": notice_id,
                    "version": version,
                    "party_id": party,
                    "received_at": stamp(received_at),
                    "party_received_at": stamp(party_received_at),
                    "acknowledged_at": stamp(tx.now),
                    "late": late,
                    "text": text,
                    "signature": signature_b64,
                },
                [notice.originator],
                notice_id=notice_id,
                version=version,
                refs=[notice_entry] if notice_entry else [],
            )
            self._record_event(
                tx,
                EventKind.ACKNOWLEDGED,
                notice.agreement_id,
                [party, notice.originator],
                notice_id=notice_id,
                version=version,
                party_id=party,
                data={"late": late, "ack_due_at": disclosure.ack_due_at.isoformat()},
            )
            self._refresh_state(tx, notice_id)
            return Acknowledgement(
                notice_id, version, party, received_at, tx.now, text, late, signature_b64
            )

    def _check_ack_signature(
        self, tx: Tx, party: str, notice_entry: str, received_at: datetime, signature_b64: str
    ) -> None:
        """The signature must verify under one of the party's acknowledgement keys."""
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.at("/signature", "must be base64") from None
        keys = tx.conn.execute(
            sa.select(t.party_keys.c.key_b64)
            .where(t.party_keys.c.party_id == party)
            .where(t.party_keys.c.purpose == KeyPurpose.ACK.value)
        ).scalars()
        for key_b64 in keys:
            try:
                verify_ack(
                    base64.b64decode(key_b64), bytes.fromhex(notice_entry), received_at, signature
                )
            except DeconflictError:
                continue
            return
        raise InvalidInput.at(
            "/signature",
            "does not verify under any acknowledgement key of the party over "
            f"notice entry {notice_entry} and received_at {stamp(received_at)}",
        )

    def list_acknowledgements(self, caller: Caller, notice_id: str) -> list[Acknowledgement]:
        party = self._require_party(caller)
        with self._engine.connect() as conn:
            notice = self._notice_row(conn, notice_id)
            query = sa.select(t.acknowledgements).where(t.acknowledgements.c.notice_id == notice_id)
            if notice is None or notice.originator != party:
                if not self._visible_versions(conn, notice_id, party):
                    raise NotFound(f"notice {notice_id!r} not found")
                query = query.where(t.acknowledgements.c.party_id == party)
            rows = conn.execute(
                query.order_by(t.acknowledgements.c.version, t.acknowledgements.c.party_id)
            ).all()
        return [acknowledgement_of(row) for row in rows]
