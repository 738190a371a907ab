"""Use cases for advance notices: submit, amend, cancel, disclose, acknowledge and read.

Meanings a dispute turns on:
- `disclosed_at` is the commit that made a version visible to a party; lead time is the
  version's earliest start minus `disclosed_at`; short notice is a lead time below the
  agreement's minimum.
- A conflict between two parties' notices discloses each notice to the other's originator in
  the same transaction, so reporting a conflict never leaks an undisclosed notice.
- Later versions reach every earlier recipient; each needs its own acknowledgement.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconflict.detection.strategic import Conflict as VolumeConflict
from deconflict.domain import (
    Acknowledgement,
    AckState,
    AgreementTerms,
    DisclosureRule,
    EventKind,
    KeyPurpose,
    Notice,
    NoticeKind,
    NoticeState,
    Page,
)
from deconflict.errors import Conflict, DeconflictError, FieldError, InvalidInput, NotFound
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.log import verify_ack
from deconflict.service.base import Caller, IdempotencyMismatch, ServiceBase, Tx, stamp
from deconflict.service.indexing import (
    AgreementIndex,
    IndexKey,
    buffers_of,
    catch_up,
)
from deconflict.service.records import (
    acknowledgement_of,
    conflict_of,
    disclosure_of,
)
from deconflict.storage import tables as t

__all__ = ["NoticeUseCases"]

MAX_VOLUMES = 200
MAX_PURPOSE = 2000
ACKED = {AckState.ACKNOWLEDGED.value, AckState.ACKNOWLEDGED_LATE.value}


def _validate(volumes: Sequence[Volume], purpose: str | None, now: datetime) -> None:
    errors: list[FieldError] = []
    if not volumes:
        errors.append(FieldError("/volumes", "a notice needs at least one volume"))
    if len(volumes) > MAX_VOLUMES:
        errors.append(FieldError("/volumes", f"at most {MAX_VOLUMES} volumes per notice"))
    for i, volume in enumerate(volumes):
        if volume.window.end <= now:
            errors.append(
                FieldError(f"/volumes/{i}/properties/time_end", "the operation is already over")
            )
    if purpose is not None and len(purpose) > MAX_PURPOSE:
        errors.append(FieldError("/purpose", f"at most {MAX_PURPOSE} characters"))
    if errors:
        raise InvalidInput("invalid notice", errors)


def _conflict_row(
    notice_id: str,
    version: int,
    volume_index: int,
    found: VolumeConflict,
    key: IndexKey,
    owner: str | None,
    now: datetime,
) -> dict[str, Any]:
    band = found.altitude_overlap_m
    return {
        "notice_id": notice_id,
        "version": version,
        "volume_index": volume_index,
        "other_kind": key.source,
        "other_id": key.source_id,
        "other_version": key.version,
        "other_volume_index": key.volume_index,
        "other_party": owner,
        "overlap_start": found.overlap_start,
        "overlap_end": found.overlap_end,
        "altitude_overlap_lower_m": band[0] if band else None,
        "altitude_overlap_upper_m": band[1] if band else None,
        "vertical_gap_m": found.vertical_gap_m,
        "min_distance_m": found.min_distance_m,
        "overlap": (
            json.loads(shapely.to_geojson(found.overlap))
            if found.overlap is not None and not found.overlap.is_empty
            else None
        ),
        "detected_at": now,
    }


class NoticeUseCases(ServiceBase):
    _terms_cache: dict[tuple[str, int], AgreementTerms]

    def _index(self, tx: Tx, agreement_id: str) -> AgreementIndex:
        """The agreement's index, caught up; call with the agreement locked."""
        index = self._indexes.get(agreement_id)
        if index is not None and tx.agreement_seq.get(agreement_id) == index.seq:
            return index
        index = catch_up(tx.conn, agreement_id, index)
        self._indexes[agreement_id] = index
        return index

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

    def _own_notice(self, tx: Tx, party: str, notice_id: str) -> Any:
        row = self._notice_row(tx.conn, notice_id)
        if row is None or row.originator != party:
            raise NotFound(f"notice {notice_id!r} not found")
        return row

    # --- submitting -------------------------------------------------------------------------

    def _replay(self, party: str, key: str, digest: str | None) -> Notice | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(t.idempotency_keys)
                .where(t.idempotency_keys.c.party_id == party)
                .where(t.idempotency_keys.c.key == key)
            ).one_or_none()
        if row is None:
            return None
        if row.digest != (digest or ""):
            raise IdempotencyMismatch.at(
                "/Idempotency-Key", "this key was used with a different request body"
            )
        return self.get_notice(Caller(party), row.notice_id, row.version)

    def _idempotent(
        self, party: str, key: str | None, digest: str | None, attempt: Callable[[], Notice]
    ) -> Notice:
        if key is not None:
            replay = self._replay(party, key, digest)
            if replay is not None:
                return replay
        try:
            return attempt()
        except IntegrityError:
            replay = self._replay(party, key, digest) if key is not None else None
            if replay is None:
                raise
            return replay

    def _remember_key(
        self, tx: Tx, party: str, key: str | None, digest: str | None, notice_id: str, version: int
    ) -> None:
        if key is not None:
            tx.conn.execute(
                t.idempotency_keys.insert().values(
                    party_id=party,
                    key=key,
                    digest=digest or "",
                    notice_id=notice_id,
                    version=version,
                    created_at=tx.now,
                )
            )

    def submit_notice(
        self,
        caller: Caller,
        agreement_id: str,
        volumes: Sequence[Volume],
        purpose: str,
        *,
        draft: bool = False,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
    ) -> Notice:
        """Record a notice, check it, disclose it and start the acknowledgement clock."""
        party = self._require_party(caller)

        def attempt() -> Notice:
            with self._tx() as tx:
                _validate(volumes, purpose, tx.now)
                self._lock_agreements(tx, [agreement_id])
                agreement_version = tx.agreement_version.get(agreement_id)
                if (
                    agreement_version is None
                    or party not in self._terms(tx.conn, agreement_id, agreement_version).members
                ):
                    raise InvalidInput.at("/agreement_id", f"unknown agreement {agreement_id!r}")
                notice_id = self._new_id("ntc", tx)
                tx.conn.execute(
                    t.notices.insert().values(
                        id=notice_id,
                        agreement_id=agreement_id,
                        originator=party,
                        latest_version=1,
                        state=NoticeState.DRAFT.value,
                        created_at=tx.now,
                    )
                )
                self._insert_version(
                    tx, notice_id, 1, NoticeKind.SUBMISSION, agreement_version, purpose, volumes
                )
                self._remember_key(tx, party, idempotency_key, request_digest, notice_id, 1)
                if not draft:
                    self._publish(tx, notice_id, 1, volumes)
                return self._deliver(
                    tx, notice_id, self._notice_row(tx.conn, notice_id), party, 1, volumes
                )

        return self._idempotent(party, idempotency_key, request_digest, attempt)

    def submit_draft(self, caller: Caller, notice_id: str) -> Notice:
        party = self._require_party(caller)
        with self._tx() as tx:
            row = self._own_notice(tx, party, notice_id)
            if row.state != NoticeState.DRAFT.value:
                raise Conflict(f"notice {notice_id!r} is not a draft", state=row.state)
            self._lock_agreements(tx, [row.agreement_id])
            version = self._version_row(tx.conn, notice_id, row.latest_version)
            _validate([volume_from_geojson(f) for f in version.volumes], None, tx.now)
            self._publish(tx, notice_id, row.latest_version)
        return self.get_notice(caller, notice_id)

    def amend_notice(
        self,
        caller: Caller,
        notice_id: str,
        volumes: Sequence[Volume],
        purpose: str | None = None,
        *,
        idempotency_key: str | None = None,
        request_digest: str | None = None,
    ) -> Notice:
        """A new version with new volumes; every earlier recipient must acknowledge it again."""
        party = self._require_party(caller)

        def attempt() -> Notice:
            with self._tx() as tx:
                _validate(volumes, purpose, tx.now)
                row = self._own_notice(tx, party, notice_id)
                self._lock_agreements(tx, [row.agreement_id])
                row = self._own_notice(tx, party, notice_id)
                if row.state in (NoticeState.CANCELLED.value, NoticeState.EXPIRED.value):
                    raise Conflict(f"notice {notice_id!r} is {row.state}", state=row.state)
                previous = self._version_row(tx.conn, notice_id, row.latest_version)
                version = row.latest_version + 1
                self._insert_version(
                    tx,
                    notice_id,
                    version,
                    NoticeKind.AMENDMENT,
                    previous.agreement_version,
                    previous.purpose if purpose is None else purpose,
                    volumes,
                )
                self._remember_key(tx, party, idempotency_key, request_digest, notice_id, version)
                if row.state != NoticeState.DRAFT.value:
                    self._publish(tx, notice_id, version, volumes)
                return self._deliver(
                    tx, notice_id, self._notice_row(tx.conn, notice_id), party, version, volumes
                )

        return self._idempotent(party, idempotency_key, request_digest, attempt)

    def cancel_notice(self, caller: Caller, notice_id: str, reason: str = "") -> Notice:
        """A cancellation version; recipients acknowledge it like any other version."""
        party = self._require_party(caller)
        if len(reason) > MAX_PURPOSE:
            raise InvalidInput.at("/reason", f"at most {MAX_PURPOSE} characters")
        with self._tx() as tx:
            row = self._own_notice(tx, party, notice_id)
            self._lock_agreements(tx, [row.agreement_id])
            row = self._own_notice(tx, party, notice_id)
            if row.state in (NoticeState.CANCELLED.value, NoticeState.EXPIRED.value):
                raise Conflict(f"notice {notice_id!r} is {row.state}", state=row.state)
            previous = self._version_row(tx.conn, notice_id, row.latest_version)
            version = row.latest_version + 1
            tx.conn.execute(
                t.notice_versions.insert().values(
                    notice_id=notice_id,
                    version=version,
                    kind=NoticeKind.CANCELLATION.value,
                    agreement_version=previous.agreement_version,
                    purpose=reason or previous.purpose,
                    volumes=previous.volumes,
                    time_start=previous.time_start,
                    time_end=previous.time_end,
                    created_at=tx.now,
                    indexed=False,
                )
            )
            tx.conn.execute(
                sa.update(t.notices)
                .where(t.notices.c.id == notice_id)
                .values(latest_version=version)
            )
            if row.state == NoticeState.DRAFT.value:
                self._set_state(tx, notice_id, NoticeState.CANCELLED)
            else:
                self._publish(tx, notice_id, version)
        return self.get_notice(caller, notice_id, version)

    def _insert_version(
        self,
        tx: Tx,
        notice_id: str,
        version: int,
        kind: NoticeKind,
        agreement_version: int,
        purpose: str,
        volumes: Sequence[Volume],
    ) -> None:
        tx.conn.execute(
            t.notice_versions.insert().values(
                notice_id=notice_id,
                version=version,
                kind=kind.value,
                agreement_version=agreement_version,
                purpose=purpose,
                volumes=[volume_to_geojson(v) for v in volumes],
                time_start=min(v.window.start for v in volumes),
                time_end=max(v.window.end for v in volumes),
                created_at=tx.now,
                indexed=False,
            )
        )
        if version > 1:
            tx.conn.execute(
                sa.update(t.notices)
                .where(t.notices.c.id == notice_id)
                .values(latest_version=version)
            )

    def _version_row(self, conn: sa.Connection, notice_id: str, version: int) -> Any:
        return conn.execute(
            sa.select(t.notice_versions)
            .where(t.notice_versions.c.notice_id == notice_id)
            .where(t.notice_versions.c.version == version)
        ).one()

    def _publish(
        self, tx: Tx, notice_id: str, version: int, volumes: Sequence[Volume] | None = None
    ) -> None:
        """Check a version against the agreement's index, store it in the index, and disclose it."""
        notice = self._notice_row(tx.conn, notice_id)
        row = self._version_row(tx.conn, notice_id, version)
        kind = NoticeKind(row.kind)
        terms = self._terms(tx.conn, notice.agreement_id, row.agreement_version)
        current_terms = self._terms(
            tx.conn, notice.agreement_id, self._current_version(tx, notice.agreement_id)
        )
        index = self._index(tx, notice.agreement_id)
        found: list[tuple[int, VolumeConflict, IndexKey, str | None]] = []
        if volumes is None:
            volumes = [volume_from_geojson(feature) for feature in row.volumes]
        if kind is not NoticeKind.CANCELLATION:
            buffers = buffers_of(current_terms)
            for i, volume in enumerate(volumes):
                for conflict in index.engine.conflicts_with(volume, buffers, key=str(i)):
                    key = IndexKey.decode(conflict.second)
                    owner = index.owners[conflict.second]
                    if key.source == "notice" and key.source_id == notice_id:
                        continue
                    if owner == notice.originator:
                        continue
                    found.append((i, conflict, key, owner))
        self._reindex(tx, notice, version, kind, volumes)
        previous = self._notice_entry(tx, notice_id, version - 1) if version > 1 else None
        self._log(
            tx,
            "notice.version",
            notice.originator,
            {
                "notice_id": notice_id,
                "version": version,
                "kind": kind.value,
                "agreement_id": notice.agreement_id,
                "agreement_version": row.agreement_version,
                "purpose": row.purpose,
                "volumes": row.volumes,
                "time_start": stamp(row.time_start),
                "time_end": stamp(row.time_end),
            },
            notice_id=notice_id,
            version=version,
            refs=[previous] if previous else [],
        )
        if found:
            tx.conn.execute(
                t.conflicts.insert(),
                [_conflict_row(notice_id, version, i, c, k, o, tx.now) for i, c, k, o in found],
            )
        recipients: dict[str, str] = {}
        if version > 1:
            for party in tx.conn.execute(
                sa.select(t.disclosures.c.party_id).where(t.disclosures.c.notice_id == notice_id)
            ).scalars():
                recipients.setdefault(party, "earlier_recipient")
        affected = {owner for _, _, _, owner in found if owner is not None}
        for party in sorted(affected):
            recipients.setdefault(party, "affected")
        if current_terms.disclosure is DisclosureRule.ALL_MEMBERS:
            for party in current_terms.members:
                recipients.setdefault(party, "member")
        recipients.pop(notice.originator, None)
        if version > 1:
            tx.conn.execute(
                sa.update(t.disclosures)
                .where(t.disclosures.c.notice_id == notice_id)
                .where(t.disclosures.c.version < version)
                .values(next_escalation_at=None)
            )
        for party, reason in sorted(recipients.items()):
            self._disclose(tx, notice, row, terms, party, reason)
        for i, conflict, key, owner in found:
            if key.source == "notice":
                other = self._notice_row(tx.conn, key.source_id)
                other_row = self._version_row(tx.conn, key.source_id, key.version or 0)
                already = tx.conn.execute(
                    sa.select(t.disclosures.c.party_id)
                    .where(t.disclosures.c.notice_id == key.source_id)
                    .where(t.disclosures.c.version == key.version)
                    .where(t.disclosures.c.party_id == notice.originator)
                ).first()
                if already is None:
                    other_terms = self._terms(
                        tx.conn, other.agreement_id, other_row.agreement_version
                    )
                    self._disclose(tx, other, other_row, other_terms, notice.originator, "conflict")
            self._log(
                tx,
                "conflict",
                None,
                _conflict_row(notice_id, version, i, conflict, key, owner, tx.now)
                | {
                    "overlap_start": stamp(conflict.overlap_start),
                    "overlap_end": stamp(conflict.overlap_end),
                    "detected_at": stamp(tx.now),
                },
                [notice.originator, owner],
                notice_id=notice_id,
                version=version,
                refs=[self._notice_entry(tx, notice_id, version) or ""],
            )
            self._record_event(
                tx,
                EventKind.CONFLICT,
                notice.agreement_id,
                [notice.originator, owner],
                notice_id=notice_id,
                version=version,
                party_id=owner,
                data={
                    "volume_index": i,
                    "other_kind": key.source,
                    "other_id": key.source_id,
                    "other_version": key.version,
                    "min_distance_m": conflict.min_distance_m,
                    "vertical_gap_m": conflict.vertical_gap_m,
                    "overlap_start": conflict.overlap_start.isoformat(),
                    "overlap_end": conflict.overlap_end.isoformat(),
                },
            )
        self._set_state(
            tx,
            notice_id,
            NoticeState.CANCELLED if kind is NoticeKind.CANCELLATION else NoticeState.SUBMITTED,
        )

    def _reindex(
        self, tx: Tx, notice: Any, version: int, kind: NoticeKind, volumes: Sequence[Volume]
    ) -> None:
        """Swap the notice's indexed version for this one (or drop it, for a cancellation), and
        stamp this version submitted."""
        earlier = (
            tx.conn.execute(
                sa.select(t.notice_versions.c.version)
                .where(t.notice_versions.c.notice_id == notice.id)
                .where(t.notice_versions.c.indexed.is_(True))
            ).all()
            if version > 1
            else []
        )
        for (old,) in earlier:
            tx.conn.execute(
                sa.update(t.notice_versions)
                .where(t.notice_versions.c.notice_id == notice.id)
                .where(t.notice_versions.c.version == old)
                .values(indexed=False)
            )
            self._record_change(tx, [notice.agreement_id], "remove", "notice", notice.id, old)
        indexed = kind is not NoticeKind.CANCELLATION
        tx.conn.execute(
            sa.update(t.notice_versions)
            .where(t.notice_versions.c.notice_id == notice.id)
            .where(t.notice_versions.c.version == version)
            .values(indexed=indexed, submitted_at=tx.now)
        )
        if indexed:
            self._record_change(
                tx,
                [notice.agreement_id],
                "add",
                "notice",
                notice.id,
                version,
                [
                    (IndexKey("notice", notice.id, version, i), volume, notice.originator)
                    for i, volume in enumerate(volumes)
                ],
            )

    def _disclose(
        self, tx: Tx, notice: Any, version_row: Any, terms: AgreementTerms, party: str, reason: str
    ) -> None:
        start: datetime = version_row.time_start
        kind = NoticeKind(version_row.kind)
        lead_time_s = (start - tx.now).total_seconds()
        short_notice = kind is not NoticeKind.CANCELLATION and lead_time_s < terms.min_lead_time_s
        tx.conn.execute(
            t.disclosures.insert().values(
                notice_id=notice.id,
                version=version_row.version,
                party_id=party,
                reason=reason,
                disclosed_at=tx.now,
                first_fetched_at=None,
                lead_time_s=lead_time_s,
                short_notice=short_notice,
                ack_due_at=tx.now + timedelta(seconds=terms.ack_deadline_s),
                ack_state=AckState.PENDING.value,
                escalation_tier=0,
                next_escalation_at=terms.escalation_due(tx.now, 0, start),
                acknowledged_at=None,
            )
        )
        common: dict[str, Any] = {
            "notice_id": notice.id,
            "version": version_row.version,
            "party_id": party,
        }
        notice_entry = self._notice_entry(tx, notice.id, version_row.version)
        self._grant_notice_entry(tx, notice.id, version_row.version, party)
        self._log(
            tx,
            "disclosure",
            None,
            {
                **common,
                "reason": reason,
                "disclosed_at": stamp(tx.now),
                "lead_time_s": lead_time_s,
                "short_notice": short_notice,
                "min_lead_time_s": terms.min_lead_time_s,
                "ack_due_at": stamp(tx.now + timedelta(seconds=terms.ack_deadline_s)),
            },
            [party, notice.originator],
            notice_id=notice.id,
            version=version_row.version,
            refs=[notice_entry] if notice_entry else [],
        )
        self._record_event(
            tx,
            EventKind.DISCLOSED,
            notice.agreement_id,
            [party, notice.originator],
            data={"reason": reason, "kind": kind.value, "lead_time_s": lead_time_s},
            **common,
        )
        if short_notice:
            self._record_event(
                tx,
                EventKind.SHORT_NOTICE,
                notice.agreement_id,
                [party, notice.originator],
                data={"lead_time_s": lead_time_s, "min_lead_time_s": terms.min_lead_time_s},
                **common,
            )

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

    # --- acknowledging -----------------------------------------------------------------------

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
        if len(text) > MAX_PURPOSE:
            raise InvalidInput.at("/text", f"at most {MAX_PURPOSE} characters")
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
                    acknowledged_at=disclosure.acknowledged_at.isoformat(),
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

    # --- reading ------------------------------------------------------------------------------

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
