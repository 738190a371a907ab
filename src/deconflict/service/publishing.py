"""Publishing a notice version: check it against its agreement's index, put it in the index,
log it, and disclose it, all in the caller's transaction.

A conflict between two parties' notices discloses each notice to the other's originator in the
same transaction, so reporting a conflict never leaks an undisclosed notice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import shapely

from deconflict.detection.strategic import Conflict as VolumeConflict
from deconflict.domain import (
    AgreementTerms,
    ConflictReport,
    NoticeKind,
    StoredNotice,
    StoredVersion,
)
from deconflict.domain.facts import ConflictFound, Disclosed, Published
from deconflict.domain.rules import disclose, published_state, recipients
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_geojson
from deconflict.service.context import Context, Tx
from deconflict.service.indexing import buffers_of
from deconflict.storage.indexed import IndexKey

__all__ = ["disclose_version", "publish"]


def publish(
    ctx: Context, tx: Tx, notice_id: str, version: int, volumes: Sequence[Volume] | None = None
) -> None:
    """Check a version, store it in the index, log it and disclose it; call with the
    agreement locked. `volumes` are the version's, when the caller has them at hand."""
    notice = _stored(tx, notice_id)
    stored = tx.notices.version(notice_id, version)
    terms = ctx.terms(tx, notice.agreement_id, stored.agreement_version)
    current = ctx.terms(tx, notice.agreement_id, ctx.current_version(tx, notice.agreement_id))
    if volumes is None:
        volumes = [volume_from_geojson(feature) for feature in stored.features]
    reports = [] if stored.kind is NoticeKind.CANCELLATION else _check(ctx, tx, notice, volumes)
    _reindex(tx, notice, stored, volumes)
    tx.record(Published(notice.agreement_id, notice.originator, stored))
    tx.conflicts.add(notice_id, version, reports, tx.now)
    earlier = tx.disclosures.recipients(notice_id) if version > 1 else []
    told = recipients(
        originator=notice.originator,
        earlier=earlier,
        affected={r.other_party for r in reports if r.other_party is not None},
        terms=current,
    )
    if version > 1:
        tx.disclosures.stop_escalations_before(notice_id, version)
    for party, reason in told.items():
        disclose_version(tx, notice, stored, terms, party, reason)
    for report in reports:
        if report.other_kind == "notice" and report.other_version is not None:
            _disclose_other(ctx, tx, report.other_id, report.other_version, notice.originator)
        tx.record(
            ConflictFound(
                notice_id, version, notice.agreement_id, notice.originator, report, tx.now
            )
        )
    tx.notices.set_state(notice_id, published_state(stored.kind))


def disclose_version(
    tx: Tx,
    notice: StoredNotice,
    stored: StoredVersion,
    terms: AgreementTerms,
    party: str,
    reason: str,
) -> None:
    """Make a version visible to `party` now and start its acknowledgement clock."""
    disclosure, first_due = disclose(party, reason, stored.kind, stored.time_start, tx.now, terms)
    tx.disclosures.add(notice.id, stored.version, disclosure, first_due)
    tx.record(
        Disclosed(
            notice.id,
            stored.version,
            notice.agreement_id,
            notice.originator,
            stored.kind,
            disclosure,
            terms.min_lead_time_s,
        )
    )


def _stored(tx: Tx, notice_id: str) -> StoredNotice:
    notice = tx.notices.get(notice_id)
    if notice is None:
        raise LookupError(f"notice {notice_id!r} is not stored")
    return notice


def _check(
    ctx: Context, tx: Tx, notice: StoredNotice, volumes: Sequence[Volume]
) -> list[ConflictReport]:
    """The conflicts of the volumes with other parties' volumes in the agreement's index,
    under the agreement's current buffers."""
    current = ctx.terms(tx, notice.agreement_id, ctx.current_version(tx, notice.agreement_id))
    index = ctx.index(tx, notice.agreement_id)
    buffers = buffers_of(current)
    found: list[ConflictReport] = []
    for i, volume in enumerate(volumes):
        for conflict in index.engine.conflicts_with(volume, buffers, key=str(i)):
            key = IndexKey.decode(conflict.second)
            owner = index.owners[conflict.second]
            if key.source == "notice" and key.source_id == notice.id:
                continue
            if owner == notice.originator:
                continue
            found.append(_report(i, conflict, key, owner))
    return found


def _report(
    volume_index: int, found: VolumeConflict, key: IndexKey, owner: str | None
) -> ConflictReport:
    overlap = found.overlap
    return ConflictReport(
        volume_index=volume_index,
        other_kind=key.source,
        other_id=key.source_id,
        other_version=key.version,
        other_volume_index=key.volume_index,
        other_party=owner,
        overlap_start=found.overlap_start,
        overlap_end=found.overlap_end,
        altitude_overlap_m=found.altitude_overlap_m,
        vertical_gap_m=found.vertical_gap_m,
        min_distance_m=found.min_distance_m,
        overlap_geojson=(
            json.loads(shapely.to_geojson(overlap))
            if overlap is not None and not overlap.is_empty
            else None
        ),
    )


def _reindex(
    tx: Tx, notice: StoredNotice, stored: StoredVersion, volumes: Sequence[Volume]
) -> None:
    """Swap the notice's indexed version for this one (or drop it, for a cancellation), and
    stamp this version submitted."""
    version = stored.version
    for old in tx.notices.indexed_versions(notice.id) if version > 1 else []:
        tx.notices.set_indexed(notice.id, old, False)
        tx.record_index_change([notice.agreement_id], "remove", "notice", notice.id, old)
    indexed = stored.kind is not NoticeKind.CANCELLATION
    tx.notices.set_indexed(notice.id, version, indexed, submitted_at=tx.now)
    if indexed:
        tx.record_index_change(
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


def _disclose_other(ctx: Context, tx: Tx, other_id: str, other_version: int, party: str) -> None:
    """Disclose the other side of a conflict to `party`, unless it already was."""
    if tx.disclosures.exists(other_id, other_version, party):
        return
    other = _stored(tx, other_id)
    stored = tx.notices.version(other_id, other_version)
    terms = ctx.terms(tx, other.agreement_id, stored.agreement_version)
    disclose_version(tx, other, stored, terms, party, "conflict")
