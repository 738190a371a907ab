"""The service: a thin facade over the use cases, which share one `Context`.

Each public method is a use case's own (see `contract.md`); the facade only opens and closes
the context and runs the scheduler.
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
from deconflict.service.airspace import Airspace
from deconflict.service.bundles import Bundles
from deconflict.service.context import Context
from deconflict.service.events import Events
from deconflict.service.ledger import Ledger
from deconflict.service.notices import Notices
from deconflict.service.parties import Parties
from deconflict.service.status import Status
from deconflict.service.timers import Timers
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

        self.parties = parties = Parties(context)
        self.set_admin_token = parties.set_admin_token
        self.rotate_admin_token = parties.rotate_admin_token
        self.rotate_token = parties.rotate_token
        self.revoke_token = parties.revoke_token
        self.authenticate = parties.authenticate
        self.add_party = parties.add
        self.add_key = parties.add_key
        self.list_parties = parties.list_all
        self.get_party = parties.get

        self.agreements = agreements = Agreements(context)
        self.add_agreement = agreements.add
        self.update_agreement = agreements.update
        self.get_agreement = agreements.get
        self.list_agreements = agreements.list_all

        self.airspace = airspace = Airspace(context)
        self.add_protected_area = airspace.add_protected_area
        self.list_protected_areas = airspace.list_protected_areas
        self.remove_protected_area = airspace.remove_protected_area
        self.add_hazard = airspace.add_hazard
        self.list_hazards = airspace.list_hazards
        self.remove_hazard = airspace.remove_hazard

        self.notices = notices = Notices(context)
        self.submit_notice = notices.submit
        self.submit_draft = notices.submit_draft
        self.amend_notice = notices.amend
        self.cancel_notice = notices.cancel
        self.get_notice = notices.get
        self.list_notices = notices.list_page

        self.acknowledgements = acknowledgements = Acknowledgements(context)
        self.acknowledge = acknowledgements.acknowledge
        self.list_acknowledgements = acknowledgements.list_all

        self.events = events = Events(context)
        self.list_events = events.list_page
        self.wait_for_events = events.wait

        self.ledger = ledger = Ledger(context)
        self.log_origin = ledger.origin
        self.log_verifier_key = ledger.verifier_key
        self.log_size = ledger.size
        self.publish_checkpoint = ledger.publish_checkpoint
        self.log_checkpoint = ledger.checkpoint
        self.cosigned_checkpoint = ledger.cosigned_checkpoint
        self.inclusion_proof = ledger.inclusion_proof
        self.consistency_proof = ledger.consistency_proof
        self.log_entries = ledger.entries
        self.leaf_hashes = ledger.leaf_hashes
        self.cosigning_verifiers = ledger.cosigning_verifiers
        self.add_cosignature = ledger.add_cosignature
        self.verify_log = ledger.verify

        self.bundles = bundles = Bundles(context)
        self.export_bundle = bundles.export

        self.timers = Timers(context)

        self.status = status = Status(context)
        self.status_snapshot = status.snapshot

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
        fired = self.timers.tick()
        self.ledger.publish_checkpoint()
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
