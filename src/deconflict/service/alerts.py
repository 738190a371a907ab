"""Use cases for the live picture's alerts: the rules that raise them, each transition recorded
with its log entry and event in one transaction, and what each party may read of them.

The live component finds the alerts and calls `record`; it takes no caller, as the
scheduler's own work does not. A party reads the alerts it hears (`AlertRecord.parties`), the
admin reads all; an alert a party does not hear answers as a missing one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from deconflict.alerting import Buffers, Condition, NoticeVolumes, PartyChannel, Watched
from deconflict.domain.alert_rules import AlertRules, CitedNotice
from deconflict.domain.alerts import AlertRecord, AlertState
from deconflict.domain.facts import AlertFact
from deconflict.errors import NotFound
from deconflict.geometry.formats import volume_from_geojson
from deconflict.service.context import Context
from deconflict.service.visibility import Caller

__all__ = ["Alerts"]


class Alerts:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def rules(self) -> AlertRules:
        """The latest version of every agreement, the protected areas and the hazards, for the
        detection loop."""
        with self._ctx.read() as repos:
            found = [repos.agreements.get(agreement_id) for agreement_id in repos.agreements.ids()]
            areas, hazards = repos.airspace.areas(), repos.airspace.hazards()
        return AlertRules.of((a for a in found if a is not None), areas, hazards)

    def cited_notices(self, notice_ids: Collection[str]) -> dict[str, CitedNotice]:
        """The open notices among `notice_ids`, as the conformance check needs them (a notice
        that does not exist, or is cancelled or expired, is not watched)."""
        found: dict[str, CitedNotice] = {}
        with self._ctx.read() as repos:
            for notice_id in sorted(notice_ids):
                stored = repos.notices.get(notice_id)
                if stored is None or stored.closed:
                    continue
                version = repos.notices.version(notice_id, stored.latest_version)
                terms = repos.agreements.terms(stored.agreement_id, version.agreement_version)
                volumes = tuple(volume_from_geojson(f) for f in version.features)
                buffers = Buffers(terms.buffer_h_m, terms.buffer_v_m, terms.buffer_t_s)
                parties = frozenset({stored.originator, *repos.disclosures.recipients(notice_id)})
                found[notice_id] = CitedNotice(
                    NoticeVolumes(notice_id, volumes, buffers), stored.agreement_id, parties
                )
        return found

    def silent_channels(
        self, now_s: float, watched: Iterable[Watched]
    ) -> dict[PartyChannel, Condition]:
        """The watched channels not heard from for longer than their agreement allows."""
        return self._ctx.channels.conditions(now_s, watched)

    def heard_from(self, caller: Caller) -> None:
        """The caller is alive (a stream that stays open says so between its reads)."""
        self._ctx.heard_from(caller.party_id)

    def record(self, facts: Sequence[AlertFact]) -> None:
        """Store each alert's new report with its entry, events and audience, all at once."""
        if not facts:
            return
        with self._ctx.transaction() as tx:
            for fact in facts:
                tx.alerts.put(fact.alert)
                tx.record(fact)

    def active(self) -> list[AlertRecord]:
        """Every alert not yet cleared (after a restart, those the last run left open)."""
        with self._ctx.read() as repos:
            return repos.alerts.active()

    def list_heard(
        self, caller: Caller, *, state: AlertState | None = None, limit: int = 100
    ) -> list[AlertRecord]:
        """The newest alerts the caller hears (all, for the admin), newest first."""
        with self._ctx.read() as repos:
            return repos.alerts.heard_by(caller.party_id, state=state, limit=limit)

    def get(self, caller: Caller, alert_id: str) -> AlertRecord:
        with self._ctx.read() as repos:
            alert = repos.alerts.get(alert_id)
        if alert is None or not (caller.is_admin or caller.party_id in alert.parties):
            raise NotFound(f"alert {alert_id!r} not found")
        return alert
