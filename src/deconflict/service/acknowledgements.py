"""Acknowledgements: a recipient records that it received and read one disclosed version."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from deconflict.domain import Acknowledgement, KeyPurpose
from deconflict.domain.facts import Acknowledged
from deconflict.domain.rules import ack_state, is_late, notice_state
from deconflict.errors import Conflict, DeconflictError, InvalidInput, NotFound
from deconflict.limits import MAX_INT32, MAX_TEXT_CHARS, require_text
from deconflict.log import verify_ack
from deconflict.service.context import Context, Tx
from deconflict.service.visibility import Caller, notice_view, require_party, stored_notice
from deconflict.times import format_time

__all__ = ["Acknowledgements", "refresh_state"]


def refresh_state(tx: Tx, notice_id: str) -> None:
    """Derive a live notice's state from its latest version's acknowledgement states."""
    notice = tx.notices.get(notice_id)
    if notice is None:
        raise LookupError(f"notice {notice_id!r} is not stored")
    if not notice.closed:
        states = tx.disclosures.ack_states(notice_id, notice.latest_version)
        tx.notices.set_state(notice_id, notice_state(notice.state, states))


def _check_signature(
    tx: Tx, party: str, notice_entry: str, received_at: datetime, signature_b64: str
) -> None:
    """The signature must verify under one of the party's acknowledgement keys."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput.at("/signature", "must be base64") from None
    for _, key_b64 in tx.parties.keys(KeyPurpose.ACK, party):
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
        f"notice entry {notice_entry} and received_at {format_time(received_at)}",
    )


class Acknowledgements:
    """Acknowledging writes a disclosure and then its notice, so it locks the notice row first,
    as every writer of a notice does (the agreement, then the notice, then its disclosures):
    one lock order, so PostgreSQL never has to break a deadlock between them."""

    def __init__(self, context: Context) -> None:
        self._ctx = context

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
        party = require_party(caller)
        require_text(text, "/text", MAX_TEXT_CHARS)
        if signature_b64 is not None and party_received_at is None:
            raise InvalidInput.at(
                "/received_at", "a signed acknowledgement states when it was received"
            )
        with self._ctx.transaction() as tx:
            notice = stored_notice(tx, notice_id, lock=True)
            disclosure = (
                tx.disclosures.get(notice_id, version, party, lock=True)
                if notice is not None and 1 <= version <= MAX_INT32
                else None
            )
            if notice is None or disclosure is None:
                raise NotFound(f"notice {notice_id!r} version {version} not found")
            if disclosure.acknowledged_at is not None:
                raise Conflict("already acknowledged", acknowledged_at=disclosure.acknowledged_at)
            notice_entry = tx.notice_entry(notice_id, version)
            if signature_b64 is not None and party_received_at is not None:
                _check_signature(tx, party, notice_entry or "", party_received_at, signature_b64)
            late = is_late(tx.now, disclosure.ack_due_at, disclosure.escalation_tier)
            ack = Acknowledgement(
                notice_id,
                version,
                party,
                disclosure.first_fetched_at or tx.now,
                tx.now,
                text,
                late,
                signature_b64,
            )
            tx.disclosures.acknowledge(ack, ack_state(late), party_received_at)
            tx.record(
                Acknowledged(
                    notice.agreement_id,
                    notice.originator,
                    ack,
                    party_received_at,
                    disclosure.ack_due_at,
                )
            )
            refresh_state(tx, notice_id)
            return ack

    def list_all(self, caller: Caller, notice_id: str) -> list[Acknowledgement]:
        """The notice's acknowledgements: all of them for its originator, a recipient's own."""
        party = require_party(caller)
        with self._ctx.read() as repos:
            view = notice_view(repos, stored_notice(repos, notice_id), party, notice_id)
            return view.acknowledgements(repos.disclosures.acknowledgements(notice_id))
