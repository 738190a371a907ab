"""Use cases for advance notices: submit, amend, cancel and read.

A notice informs; it does not ask permission. Amendments and cancellations are new versions,
each disclosed to every earlier recipient and acknowledged anew (`publishing` says how a
version is checked and disclosed, `deconflict.domain.rules` who is told and why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from deconflict.domain import Notice, NoticeKind, NoticeState, Page, StoredNotice
from deconflict.errors import Conflict, FieldError, IdempotencyMismatch, InvalidInput, NotFound
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.limits import MAX_TEXT_CHARS, is_id, require_id, require_text, text_problem
from deconflict.service.context import Context, Tx
from deconflict.service.publishing import publish
from deconflict.service.visibility import (
    Caller,
    NoticeView,
    notice_view,
    notices_in_role,
    require_party,
    stored_notice,
)
from deconflict.storage.notices import KeyInUse

__all__ = ["Notices"]

MAX_VOLUMES = 200


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
    if purpose is not None:
        problem = text_problem(purpose, MAX_TEXT_CHARS) if purpose.strip() else "must not be empty"
        if problem is not None:
            errors.append(FieldError("/purpose", problem))
    if errors:
        raise InvalidInput("invalid notice", errors)


def _own_notice(tx: Tx, party: str, notice_id: str) -> StoredNotice:
    notice = stored_notice(tx, notice_id)
    if notice is None or notice.originator != party:
        raise NotFound(f"notice {notice_id!r} not found")
    return notice


def _open_notice(tx: Tx, party: str, notice_id: str) -> StoredNotice:
    notice = _own_notice(tx, party, notice_id)
    if notice.closed:
        raise Conflict(f"notice {notice_id!r} is {notice.state.value}", state=notice.state.value)
    return notice


def _add_version(
    tx: Tx,
    notice_id: str,
    version: int,
    kind: NoticeKind,
    agreement_version: int,
    purpose: str,
    volumes: Sequence[Volume],
) -> None:
    tx.notices.add_version(
        notice_id,
        version,
        kind,
        agreement_version,
        purpose,
        [volume_to_geojson(v) for v in volumes],
        min(v.window.start for v in volumes),
        max(v.window.end for v in volumes),
        tx.now,
    )


def _render(
    tx: Tx, version: int, view: NoticeView, known: Sequence[Volume] | None = None
) -> Notice:
    """One version as the viewer may see it: the originator sees every disclosure and
    conflict, a recipient only its own disclosure and the conflicts with its volumes."""
    notice = view.notice
    stored = tx.notices.version(notice.id, version)
    return Notice(
        id=notice.id,
        version=version,
        kind=stored.kind,
        agreement_id=notice.agreement_id,
        agreement_version=stored.agreement_version,
        originator=notice.originator,
        purpose=stored.purpose,
        volumes=(
            tuple(known)
            if known is not None
            else tuple(volume_from_geojson(f) for f in stored.features)
        ),
        state=notice.state,
        created_at=stored.created_at,
        submitted_at=stored.submitted_at,
        previous_version=version - 1 if version > 1 else None,
        latest_version=view.latest,
        disclosures=view.disclosures(tx.disclosures.of_version(notice.id, version)),
        conflicts=view.conflicts(tx.conflicts.of_version(notice.id, version)),
    )


class Notices:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def _deliver(
        self,
        tx: Tx,
        notice: StoredNotice | None,
        notice_id: str,
        party: str,
        version: int | None,
        known: Sequence[Volume] | None = None,
    ) -> Notice:
        """Render one version for `party`, stamping its first delivery."""
        view = notice_view(tx, notice, party, notice_id, version)
        version = view.latest if version is None else version
        if not view.originator:
            tx.disclosures.mark_fetched(notice_id, version, party, tx.now)
        return _render(tx, version, view, known)

    # --- idempotency --------------------------------------------------------------------------

    def _replay(self, party: str, key: str, digest: str | None) -> Notice | None:
        with self._ctx.read() as repos:
            remembered = repos.notices.remembered(party, key)
        if remembered is None:
            return None
        if remembered.digest != (digest or ""):
            raise IdempotencyMismatch.at(
                "/Idempotency-Key", "this key was used with a different request body"
            )
        return self.get(Caller(party), remembered.notice_id, remembered.version)

    def _idempotent(
        self, party: str, key: str | None, digest: str | None, attempt: Callable[[], Notice]
    ) -> Notice:
        if key is not None:
            replay = self._replay(party, key, digest)
            if replay is not None:
                return replay
        try:
            return attempt()
        except KeyInUse:
            replay = self._replay(party, key, digest) if key is not None else None
            if replay is None:
                raise
            return replay

    # --- writing ------------------------------------------------------------------------------

    def submit(
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
        party = require_party(caller)

        def attempt() -> Notice:
            with self._ctx.transaction() as tx:
                _validate(volumes, purpose, tx.now)
                if not is_id(agreement_id):
                    raise InvalidInput.at("/agreement_id", f"unknown agreement {agreement_id!r}")
                self._ctx.lock_agreements(tx, [agreement_id])
                head = tx.heads.get(agreement_id)
                if (
                    head is None
                    or party not in self._ctx.terms(tx, agreement_id, head.current_version).members
                ):
                    raise InvalidInput.at("/agreement_id", f"unknown agreement {agreement_id!r}")
                notice_id = tx.new_id("ntc")
                tx.notices.add(
                    StoredNotice(notice_id, agreement_id, party, 1, NoticeState.DRAFT, tx.now)
                )
                tx.new_notices.add(notice_id)
                _add_version(
                    tx, notice_id, 1, NoticeKind.SUBMISSION, head.current_version, purpose, volumes
                )
                if idempotency_key is not None:
                    tx.notices.remember(
                        party, idempotency_key, request_digest or "", notice_id, 1, tx.now
                    )
                if not draft:
                    publish(self._ctx, tx, notice_id, 1, volumes)
                return self._deliver(tx, tx.notices.get(notice_id), notice_id, party, 1, volumes)

        return self._idempotent(party, idempotency_key, request_digest, attempt)

    def submit_draft(self, caller: Caller, notice_id: str) -> Notice:
        party = require_party(caller)
        with self._ctx.transaction() as tx:
            notice = _own_notice(tx, party, notice_id)
            if notice.state is not NoticeState.DRAFT:
                raise Conflict(f"notice {notice_id!r} is not a draft", state=notice.state.value)
            self._ctx.lock_agreements(tx, [notice.agreement_id])
            stored = tx.notices.version(notice_id, notice.latest_version)
            _validate([volume_from_geojson(f) for f in stored.features], None, tx.now)
            publish(self._ctx, tx, notice_id, notice.latest_version)
        return self.get(caller, notice_id)

    def amend(
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
        party = require_party(caller)

        def attempt() -> Notice:
            with self._ctx.transaction() as tx:
                _validate(volumes, purpose, tx.now)
                notice = _own_notice(tx, party, notice_id)
                self._ctx.lock_agreements(tx, [notice.agreement_id])
                notice = _open_notice(tx, party, notice_id)
                previous = tx.notices.version(notice_id, notice.latest_version)
                version = notice.latest_version + 1
                _add_version(
                    tx,
                    notice_id,
                    version,
                    NoticeKind.AMENDMENT,
                    previous.agreement_version,
                    previous.purpose if purpose is None else purpose,
                    volumes,
                )
                if idempotency_key is not None:
                    tx.notices.remember(
                        party, idempotency_key, request_digest or "", notice_id, version, tx.now
                    )
                if notice.state is not NoticeState.DRAFT:
                    publish(self._ctx, tx, notice_id, version, volumes)
                return self._deliver(
                    tx, tx.notices.get(notice_id), notice_id, party, version, volumes
                )

        return self._idempotent(party, idempotency_key, request_digest, attempt)

    def cancel(self, caller: Caller, notice_id: str, reason: str = "") -> Notice:
        """A cancellation version; recipients acknowledge it like any other version."""
        party = require_party(caller)
        require_text(reason, "/reason", MAX_TEXT_CHARS)
        with self._ctx.transaction() as tx:
            notice = _own_notice(tx, party, notice_id)
            self._ctx.lock_agreements(tx, [notice.agreement_id])
            notice = _open_notice(tx, party, notice_id)
            previous = tx.notices.version(notice_id, notice.latest_version)
            version = notice.latest_version + 1
            tx.notices.add_version(
                notice_id,
                version,
                NoticeKind.CANCELLATION,
                previous.agreement_version,
                reason or previous.purpose,
                previous.features,
                previous.time_start,
                previous.time_end,
                tx.now,
            )
            if notice.state is NoticeState.DRAFT:
                tx.notices.set_state(notice_id, NoticeState.CANCELLED)
            else:
                publish(self._ctx, tx, notice_id, version)
        return self.get(caller, notice_id, version)

    # --- reading ------------------------------------------------------------------------------

    def get(self, caller: Caller, notice_id: str, version: int | None = None) -> Notice:
        """One version (the latest the caller may see, by default); stamps first delivery."""
        party = require_party(caller)
        with self._ctx.transaction() as tx:
            return self._deliver(tx, stored_notice(tx, notice_id), notice_id, party, version)

    def list_page(
        self,
        caller: Caller,
        *,
        role: str | None = None,
        state: NoticeState | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Notice]:
        """The caller's own notices and those disclosed to it, oldest first, a page at a time."""
        party = require_party(caller)
        if not 1 <= limit <= 500:
            raise InvalidInput.at("/limit", "must be between 1 and 500")
        if cursor is not None:
            require_id(cursor, "/cursor")
        own, received = notices_in_role(role)
        with self._ctx.transaction() as tx:
            found = tx.notices.page(
                party, own=own, received=received, state=state, after=cursor, limit=limit + 1
            )
            items = tuple(self._deliver(tx, n, n.id, party, None) for n in found[:limit])
        return Page(items, found[limit - 1].id if len(found) > limit else None)
