"""Deadlines that fire by themselves: acknowledgement escalations and notice expiry.

Every timer is derived from stored state (`disclosures.next_escalation_at`,
`notice_versions.time_end`), so a restart loses none, and a conditional update makes
each tier fire exactly once even with several service instances.
"""

from __future__ import annotations

from deconflict.domain import NoticeState
from deconflict.domain.facts import Escalated, Expired
from deconflict.service.acknowledgements import refresh_state
from deconflict.service.context import Context
from deconflict.storage.disclosures import DueEscalation

__all__ = ["Timers"]

BATCH = 200


class Timers:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def tick(self) -> int:
        """Fire every escalation and expiry due at the clock's now; the number fired."""
        now = self._ctx.clock.now()
        fired = 0
        while True:
            with self._ctx.read() as repos:
                due = repos.disclosures.due_escalations(now, BATCH)
            if not due:
                break
            fired += sum(self._escalate(d) for d in due)
        while expired := self._expire_batch():
            fired += expired
        return fired

    def _escalate(self, due: DueEscalation) -> int:
        with self._ctx.transaction() as tx:
            tx.notices.get(due.notice_id, lock=True)  # the notice before its disclosure, always
            target = tx.disclosures.escalation_target(due.notice_id, due.version, due.party)
            due_at = target.next_escalation_at
            if due_at is None or due_at > tx.now or target.disclosure.acknowledged_at is not None:
                return 0
            terms = self._ctx.terms(tx, target.agreement_id, target.agreement_version)
            next_due = terms.escalation_due(
                target.disclosure.disclosed_at, due.tier + 1, target.time_start
            )
            if not tx.disclosures.escalate(
                due.notice_id, due.version, due.party, due.tier, next_due
            ):
                return 0
            tx.record(
                Escalated(
                    due.notice_id,
                    due.version,
                    target.agreement_id,
                    target.originator,
                    due.party,
                    due.tier + 1,
                    due_at,
                    tx.now,
                    target.disclosure.ack_due_at,
                )
            )
            refresh_state(tx, due.notice_id)
            return 1

    def _expire_batch(self) -> int:
        """Take operations that have ended out of the check; mark their notices expired."""
        with self._ctx.transaction() as tx:
            ended = tx.notices.ended(tx.now, BATCH)
            self._ctx.lock_agreements(tx, {e.agreement_id for e in ended})
            for e in ended:
                tx.notices.set_indexed(e.notice_id, e.version, False)
                tx.record_index_change([e.agreement_id], "remove", "notice", e.notice_id, e.version)
                if e.version == e.latest_version:
                    tx.notices.set_state(e.notice_id, NoticeState.EXPIRED)
                tx.record(
                    Expired(
                        e.notice_id,
                        e.version,
                        e.agreement_id,
                        e.originator,
                        tuple(tx.disclosures.recipients(e.notice_id)),
                        e.time_end,
                    )
                )
            return len(ended)
