"""A notice disclosed to a party after its witness co-signed past the notice's entry is checked
all the same: the disclosure cites it, and the witness proves it in the next checkpoint."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
import test_witness
from test_witness import WITNESS_KEYS, Mechanism, _relay, witness

from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, DisclosureRule
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.log import parse_entry
from deconflict.service import ADMIN, Caller
from deconflict.storage import tables as t
from deconflict.witness import Witness

world = test_witness.world
"""The fixture of test_witness: a service with parties a, b, c and a's and b's witness keys."""


def _volume(clock: FakeClock) -> Volume:
    start = clock.now() + timedelta(hours=2)
    return Volume(
        Circle(35.0, 33.0, 5000.0),
        AltitudeBand(0.0, 3000.0),
        TimeWindow(start, start + timedelta(hours=1)),
    )


def _late_disclosure(world: Mechanism, clock: FakeClock, tmp_path: Path) -> tuple[int, int]:
    """a's notice, unseen by b until b's own notice conflicts with it after b's witness co-signed
    past a's entry; (index of a's notice entry, size b's witness co-signed first)."""
    service = world.service
    agreement = service.add_agreement(
        ADMIN, AgreementTerms("A-B quiet", ("a", "b"), disclosure=DisclosureRule.AFFECTED)
    ).id
    first = service.submit_notice(Caller("a"), agreement, [_volume(clock)], "quiet")
    assert first.disclosures == ()
    size = world.publish(clock)
    outcome = witness(world, "b", tmp_path, clock).run_once()
    assert outcome.cosigned
    (index,) = [
        i
        for i, raw in service.log_entries(ADMIN)
        if parse_entry(raw).type == "notice.version"
        and parse_entry(raw).body["notice_id"] == first.id
    ]
    assert index < size
    assert all(i != index for i, _ in service.log_entries(Caller("b"))), "b was not shown it yet"
    second = service.submit_notice(Caller("b"), agreement, [_volume(clock)], "overlapping")
    assert [c.other_id for c in second.conflicts] == [first.id]
    world.publish(clock)
    return index, size


def test_a_notice_disclosed_later_is_proven_and_co_signed(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    index, _ = _late_disclosure(world, clock, tmp_path)
    seen: list[str] = []
    client = _relay(world.client("b"), seen)
    outcome = Witness(client, "b", WITNESS_KEYS["b"], tmp_path, clock=clock).run_once()
    assert outcome.cosigned, outcome.alerts
    assert outcome.alerts == ()
    cited = [r for r in seen if r.endswith("/cited?")]
    assert len(cited) == 1
    assert any(r.startswith(f"/log/proof/inclusion?index={index}&") for r in seen), seen


def test_a_cited_entry_the_service_hides_is_an_alert(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    index, _ = _late_disclosure(world, clock, tmp_path)
    with world.service._engine.begin() as conn:
        conn.execute(
            sa.delete(t.log_entry_parties)
            .where(t.log_entry_parties.c.idx == index)
            .where(t.log_entry_parties.c.party_id == "b")
        )
    outcome = witness(world, "b", tmp_path, clock).run_once()
    assert not outcome.cosigned
    (alert,) = outcome.alerts
    assert alert.kind == "bad-entry"
    assert "which the party is not shown" in alert.detail


def test_a_cited_entry_changed_in_the_database_is_an_alert(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    index, _ = _late_disclosure(world, clock, tmp_path)
    with world.service._engine.begin() as conn:
        raw = conn.execute(
            sa.select(t.log_entries.c.entry).where(t.log_entries.c.idx == index)
        ).scalar_one()
        forged = bytes(raw).replace(b'"quiet"', b'"loud!"')
        assert forged != bytes(raw)
        conn.execute(
            sa.update(t.log_entries).where(t.log_entries.c.idx == index).values(entry=forged)
        )
    outcome = witness(world, "b", tmp_path, clock).run_once()
    assert not outcome.cosigned
    (alert,) = outcome.alerts
    assert alert.kind == "bad-entry"
