"""Migration 0004 drops `checkpoints.root` with cosignatures stored (their foreign key refers to
the table), and downgrading puts each root back as its signed note states it."""

from __future__ import annotations

import base64

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from test_cosignature_migration import _alembic

from deconflict.clock import FakeClock
from deconflict.domain import KeyPurpose
from deconflict.log import Cosigner, Ed25519Verifier, open_checkpoint
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage.database import create_engine, migrate
from deconflict.storage.tables import metadata

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"


def _cosigned_checkpoints(service: Service, clock: FakeClock) -> dict[int, str]:
    """Two checkpoints, each co-signed by party a; their signed notes by size."""
    service.add_party(ADMIN, "A", party_id="a")
    witness = Cosigner.generate("a")
    key = base64.b64encode(witness.verifier().public_key).decode()
    service.add_key(Caller("a"), "a", KeyPurpose.COSIGN, key)
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    notes = {}
    for party in ("b", "c"):
        service.add_party(ADMIN, party.upper(), party_id=party)
        clock.advance(service.checkpoint_interval_s)
        note = service.publish_checkpoint(force=True)
        assert note is not None
        checkpoint = open_checkpoint(note, log).checkpoint
        service.add_cosignature(
            Caller("a"), checkpoint.size, witness.cosign(checkpoint, clock.now()).line()
        )
        notes[checkpoint.size] = note
    return notes


def test_the_root_column_goes_and_comes_back_from_the_notes(
    database_url: str, clock: FakeClock
) -> None:
    service = Service.open(database_url, clock=clock, admin_token=ADMIN_TOKEN)
    try:
        notes = _cosigned_checkpoints(service, clock)
        served = service.log_checkpoint()
        log_key = Ed25519Verifier.from_vkey(service.log_verifier_key())
    finally:
        service.close()
    engine = create_engine(database_url)
    try:
        _alembic(engine, "downgrade", "0004")
        with engine.connect() as conn:
            roots = dict(conn.execute(sa.text("SELECT size, root FROM checkpoints")).all())
        assert {size: bytes(root) for size, root in roots.items()} == {
            size: open_checkpoint(note, log_key).checkpoint.root for size, note in notes.items()
        }
        migrate(engine)
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("checkpoints")}
            assert columns == {"size", "note", "created_at"}
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
            cosigned = conn.execute(sa.text("SELECT count(*) FROM cosignatures")).scalar_one()
        assert cosigned == len(notes)
    finally:
        engine.dispose()
    again = Service.open(database_url, clock=clock)
    try:
        assert again.log_checkpoint() == served
        assert again.verify_log() == []
    finally:
        again.close()
