"""The service: a thin facade over the use cases, which share one `Context`.

Each public method is a use case's own (see `contract.md`), run again if the database broke a
race by rolling it back (`Context.retrying`); the facade only opens and closes the context and
runs the scheduler.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Self

import sqlalchemy as sa

from deconflict.clock import Clock, SystemClock
from deconflict.log import Ed25519Signer
from deconflict.service.acknowledgements import Acknowledgements
from deconflict.service.agreements import Agreements
from deconflict.service.aircraft import Aircraft
from deconflict.service.airspace import Airspace
from deconflict.service.alerts import Alerts
from deconflict.service.bundles import Bundles
from deconflict.service.context import Context
from deconflict.service.events import Events
from deconflict.service.ledger import Ledger
from deconflict.service.notices import Notices
from deconflict.service.parties import Parties
from deconflict.service.status import Status
from deconflict.service.timers import Timers
from deconflict.service.track_history import TrackHistory
from deconflict.service.tracks import Tracks
from deconflict.storage.database import create_engine, migrate
from deconflict.storage.settings import SettingStore

__all__ = ["Service"]

log = logging.getLogger(__name__)
LOG_KEY = "log_skey"


class Service:
    """The deconfliction mechanism. Open it with `Service.open`; close it when done."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.clock: Clock = context.clock
        self.checkpoint_interval_s = context.checkpoint_interval_s
        self._scheduler: threading.Thread | None = None
        retrying = context.retrying

        self.parties = parties = Parties(context)
        self.set_admin_token = retrying(parties.set_admin_token)
        self.rotate_admin_token = retrying(parties.rotate_admin_token)
        self.rotate_token = retrying(parties.rotate_token)
        self.revoke_token = retrying(parties.revoke_token)
        self.authenticate = retrying(parties.authenticate)
        self.add_party = retrying(parties.add)
        self.add_key = retrying(parties.add_key)
        self.list_parties = retrying(parties.list_all)
        self.get_party = retrying(parties.get)

        self.agreements = agreements = Agreements(context)
        self.add_agreement = retrying(agreements.add)
        self.update_agreement = retrying(agreements.update)
        self.get_agreement = retrying(agreements.get)
        self.list_agreements = retrying(agreements.list_all)

        self.aircraft = aircraft = Aircraft(context)
        self.declare_aircraft = retrying(aircraft.declare)
        self.get_aircraft = retrying(aircraft.get)

        self.airspace = airspace = Airspace(context)
        self.add_protected_area = retrying(airspace.add_protected_area)
        self.list_protected_areas = retrying(airspace.list_protected_areas)
        self.remove_protected_area = retrying(airspace.remove_protected_area)
        self.add_hazard = retrying(airspace.add_hazard)
        self.list_hazards = retrying(airspace.list_hazards)
        self.remove_hazard = retrying(airspace.remove_hazard)

        self.notices = notices = Notices(context)
        self.submit_notice = retrying(notices.submit)
        self.submit_draft = retrying(notices.submit_draft)
        self.amend_notice = retrying(notices.amend)
        self.cancel_notice = retrying(notices.cancel)
        self.get_notice = retrying(notices.get)
        self.list_notices = retrying(notices.list_page)

        self.acknowledgements = acknowledgements = Acknowledgements(context)
        self.acknowledge = retrying(acknowledgements.acknowledge)
        self.list_acknowledgements = retrying(acknowledgements.list_all)

        self.events = events = Events(context)
        self.list_events = retrying(events.list_page)
        self.wait_for_events = retrying(events.wait)

        self.ledger = ledger = Ledger(context)
        self.log_origin = ledger.origin
        self.log_verifier_key = retrying(ledger.verifier_key)
        self.log_size = retrying(ledger.size)
        self.publish_checkpoint = retrying(ledger.publish_checkpoint)
        self.log_checkpoint = retrying(ledger.checkpoint)
        self.cosigned_checkpoint = retrying(ledger.cosigned_checkpoint)
        self.inclusion_proof = retrying(ledger.inclusion_proof)
        self.consistency_proof = retrying(ledger.consistency_proof)
        self.log_entries = retrying(ledger.entries)
        self.leaf_hashes = retrying(ledger.leaf_hashes)
        self.cited_entries = retrying(ledger.cited_entries)
        self.cosigning_verifiers = retrying(ledger.cosigning_verifiers)
        self.add_cosignature = retrying(ledger.add_cosignature)
        self.verify_log = retrying(ledger.verify)

        self.bundles = bundles = Bundles(context)
        self.export_bundle = retrying(bundles.export)

        self.timers = Timers(context)

        self.tracks = tracks = Tracks(context)
        self.track_audience = retrying(tracks.audience)
        self.unseen_notices = retrying(tracks.unseen_notices)

        self.track_history = history = TrackHistory(context)
        self.record_track_history = retrying(history.record)
        self.prune_track_history = retrying(history.prune)
        self.track_history_states = retrying(history.states)

        self.alerts = alerts = Alerts(context)
        self.alert_rules = retrying(alerts.rules)
        self.record_alerts = retrying(alerts.record)
        self.cited_notices = retrying(alerts.cited_notices)
        self.silent_channels = alerts.silent_channels
        self.heard_from = alerts.heard_from
        self.active_alerts = retrying(alerts.active)
        self.list_alerts = retrying(alerts.list_heard)
        self.get_alert = retrying(alerts.get)

        self.status = status = Status(context)
        self.status_snapshot = retrying(status.snapshot)

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        clock: Clock | None = None,
        admin_token: str | None = None,
        log_key: str | None = None,
        checkpoint_interval_s: float = 2.0,
    ) -> Self:
        """Migrate the database, set the admin token if given, and load every agreement's index.

        `log_key` is the log's signing key in C2SP skey form (its key name is the log's origin);
        without one, the key stored in the database is used, created on first start.
        """
        engine = create_engine(database_url)
        migrate(engine)
        signer = Ed25519Signer.from_skey(log_key) if log_key else _stored_log_key(engine)
        service = cls(Context(engine, clock or SystemClock(), signer, checkpoint_interval_s))
        if admin_token is not None:
            service.set_admin_token(admin_token)
        service.context.load_indexes()
        return service

    @property
    def _engine(self) -> sa.Engine:
        return self.context.engine

    def tick(self) -> int:
        """Fire due timers (escalations, expiry), then publish a checkpoint if the log grew;
        how many timers fired."""
        fired = self.context.retrying(self.timers.tick)()
        self.publish_checkpoint()
        return fired

    def run_scheduler(self, interval_s: float = 1.0) -> None:
        """Call `tick` every `interval_s` on a daemon thread until `close`."""
        if self._scheduler is not None:
            return
        stopping = self.context.stopping

        def loop() -> None:
            while not stopping.wait(interval_s):
                try:
                    self.tick()
                except Exception:
                    log.exception("scheduler tick failed; retrying")

        self._scheduler = threading.Thread(target=loop, name="deconflict-scheduler", daemon=True)
        self._scheduler.start()

    def close(self) -> None:
        self.context.stopping.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
            self._scheduler = None
        with self.context.events_changed:
            self.context.events_changed.notify_all()
        self.context.engine.dispose()


def _stored_log_key(engine: sa.Engine) -> Ed25519Signer:
    """The log key kept in the database, made on first start with a fresh origin."""
    with engine.begin() as conn:
        settings = SettingStore(conn)
        skey = settings.get(LOG_KEY)
        if skey is None:
            signer = Ed25519Signer.generate(f"deconflict.local/{secrets.token_hex(4)}")
            settings.put(LOG_KEY, signer.skey())
            return signer
    return Ed25519Signer.from_skey(skey)
