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

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import shapely
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconflict.detection.strategic import Conflict as VolumeConflict
from deconflict.domain import (
    AckState,
    AgreementTerms,
    DisclosureRule,
    EventKind,
    Notice,
    NoticeKind,
    NoticeState,
)
from deconflict.errors import Conflict, FieldError, InvalidInput, NotFound
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.service.acknowledgements import AcknowledgementUseCases
from deconflict.service.base import Caller, IdempotencyMismatch, Tx, stamp
from deconflict.service.indexing import (
    AgreementIndex,
    IndexKey,
    buffers_of,
    catch_up,
)
from deconflict.storage import tables as t

__all__ = ["NoticeUseCases"]

MAX_VOLUMES = 200
MAX_PURPOSE = 2000


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
    overlap = found.overlap
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
            json.loads(shapely.to_geojson(overlap))
            if overlap is not None and not overlap.is_empty
            else None
        ),
        "detected_at": now,
    }


class NoticeUseCases(AcknowledgementUseCases):
    def _index(self, tx: Tx, agreement_id: str) -> AgreementIndex:
        """The agreement's index, caught up; call with the agreement locked."""
        index = self._indexes.get(agreement_id)
        if index is not None and tx.agreement_seq.get(agreement_id) == index.seq:
            return index
        index = catch_up(tx.conn, agreement_id, index)
        self._indexes[agreement_id] = index
        return index

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
        logged = self._log(
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
        notice_leaf = logged.entry.leaf_hash().hex()
        conflict_rows = [
            _conflict_row(notice_id, version, i, c, k, o, tx.now) for i, c, k, o in found
        ]
        if conflict_rows:
            tx.conn.execute(t.conflicts.insert(), conflict_rows)
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
        for (i, conflict, key, owner), conflict_row in zip(found, conflict_rows, strict=True):
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
                conflict_row
                | {
                    "overlap_start": stamp(conflict.overlap_start),
                    "overlap_end": stamp(conflict.overlap_end),
                    "detected_at": stamp(tx.now),
                },
                [notice.originator, owner],
                notice_id=notice_id,
                version=version,
                refs=[notice_leaf],
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
        notice_entry = self._notice_entry(tx, notice.id, version_row.version, grant_to=party)
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
