"""Nested alert tiers: validation, and every pair at the most severe tier it meets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from tactical_strategies import EARTH_RADIUS_M, make_states, traffic

from deconflict.detection.tactical import (
    AlertTier,
    AlertTiers,
    States,
    detect_alerts,
    detect_reference,
)
from deconflict.errors import InvalidInput

ADVISORY = AlertTier("advisory", 9260.0, 304.8, 300.0)
CAUTION = AlertTier("caution", 9260.0, 304.8, 120.0)
WARNING = AlertTier("warning", 4630.0, 200.0, 60.0)
TIERS = AlertTiers.of(ADVISORY, CAUTION, WARNING)


def head_on(gap_m: float, speed: float = 200.0) -> States:
    lon = math.degrees(gap_m / EARTH_RADIUS_M)
    return make_states(
        [("A", 0.0, 0.0, 3000.0, speed, 90.0, 0.0), ("B", 0.0, lon, 3000.0, speed, 270.0, 0.0)]
    )


def expected_tier(gap_m: float, closing_mps: float) -> str | None:
    """The most severe tier whose look-ahead the head-on entry time tin = (gap - R) / v beats."""
    meets = [t.name for t in TIERS.tiers if (gap_m - t.rpz_m) / closing_mps < t.lookahead_s]
    return meets[-1] if meets else None


@pytest.mark.parametrize("gap_m", [150_000.0, 120_000.0, 60_000.0, 40_000.0, 20_000.0, 3_000.0])
def test_head_on_pair_gets_the_tier_its_entry_time_meets(gap_m: float) -> None:
    alerts = detect_alerts(head_on(gap_m), TIERS)
    tier = expected_tier(gap_m, 400.0)
    assert [a.tier.name for a in alerts] == ([tier] if tier else [])


def test_alert_figures_are_those_of_its_own_tier() -> None:
    (alert,) = detect_alerts(head_on(20_000.0), TIERS)
    assert alert.tier == WARNING
    assert alert.conflict.tin_s == pytest.approx((20_000.0 - WARNING.rpz_m) / 400.0, rel=1e-9)


@given(traffic(max_size=10))
@settings(max_examples=100, deadline=None)
def test_each_pair_gets_the_most_severe_tier_the_reference_finds_it_in(states: States) -> None:
    by_tier = {
        t.name: {
            (c.id1, c.id2): c for c in detect_reference(states, t.rpz_m, t.hpz_m, t.lookahead_s)
        }
        for t in TIERS.tiers
    }
    expected = {}
    for tier in TIERS.tiers:
        for pair, conflict in by_tier[tier.name].items():
            expected[pair] = (tier.name, conflict)
    alerts = detect_alerts(states, TIERS)
    assert {(a.conflict.id1, a.conflict.id2): (a.tier.name, a.conflict) for a in alerts} == expected
    assert [(a.conflict.id1, a.conflict.id2) for a in alerts] == sorted(expected)


def test_single_tier_is_plain_detection() -> None:
    states = head_on(60_000.0)
    alerts = detect_alerts(states, AlertTiers.of(ADVISORY))
    assert [a.conflict for a in alerts] == detect_reference(states)


INVALID_TIERS = [
    ("inner radius larger", (ADVISORY, AlertTier("w", 10_000.0, 304.8, 60.0)), "/tiers/1/rpz_m"),
    ("inner height larger", (ADVISORY, AlertTier("w", 9260.0, 400.0, 60.0)), "/tiers/1/hpz_m"),
    (
        "inner look-ahead longer",
        (CAUTION, AlertTier("w", 4630.0, 200.0, 600.0)),
        "/tiers/1/lookahead_s",
    ),
    ("same thresholds", (ADVISORY, AlertTier("twin", 9260.0, 304.8, 300.0)), "/tiers/1"),
    ("name used twice", (ADVISORY, AlertTier("advisory", 100.0, 100.0, 10.0)), "/tiers/1/name"),
    ("no tiers", (), "/tiers"),
]


def test_invalid_tier_vectors_are_all_listed() -> None:
    assert len(INVALID_TIERS) == 6


@pytest.mark.parametrize(
    ("tiers", "pointer"), [v[1:] for v in INVALID_TIERS], ids=[v[0] for v in INVALID_TIERS]
)
def test_tiers_that_do_not_nest_are_refused(tiers: tuple[AlertTier, ...], pointer: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        AlertTiers(tiers)
    assert pointer in [e.pointer for e in raised.value.errors]


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        (("", 1.0, 1.0, 1.0), "/name"),
        (("x", 0.0, 1.0, 1.0), "/rpz_m"),
        (("x", 1.0, math.inf, 1.0), "/hpz_m"),
        (("x", 1.0, 1.0, -1.0), "/lookahead_s"),
    ],
)
def test_a_tier_needs_a_name_and_positive_thresholds(
    fields: tuple[str, float, float, float], pointer: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        AlertTier(*fields)
    assert [e.pointer for e in raised.value.errors] == [pointer]
