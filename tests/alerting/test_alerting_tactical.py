"""Tactical conditions: who is alerted against whom, at which tier, checked pair by pair against
the engine's one-pair reference on random scenes; and the near check against the full cycle."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from deconflict.alerting import (
    AlertBook,
    Condition,
    TrackPair,
    between_parties,
    engine_states,
    formation,
    tactical_conditions,
    tactical_conditions_near,
)
from deconflict.detection.tactical import AlertTier, AlertTiers, detect_alerts
from deconflict.detection.tactical.reference import pair_conflict
from deconflict.tracks import TrackKey, TrackState

R_M = 6_371_000.0
WIDE = AlertTiers.of(
    AlertTier("caution", 9260.0, 304.8, 120.0), AlertTier("warning", 5556.0, 228.6, 60.0)
)
NARROW = AlertTiers.of(
    AlertTier("advisory", 4000.0, 400.0, 150.0),
    AlertTier("caution", 3000.0, 150.0, 45.0),
    AlertTier("warning", 1500.0, 100.0, 20.0),
)
PARTIES = ("alpha", "bravo", "charlie", None)


def state(
    party: str | None,
    track: str,
    east_m: float,
    north_m: float,
    alt_m: float = 3000.0,
    gs_mps: float = 200.0,
    trk_deg: float = 90.0,
    vs_mps: float = 0.0,
    icao24: str | None = None,
) -> TrackState:
    lat = 48.0 + math.degrees(north_m / R_M)
    lon = 2.0 + math.degrees(east_m / (R_M * math.cos(math.radians(lat))))
    return TrackState(
        TrackKey(party, track), 0.0, lat, lon, alt_m, gs_mps, trk_deg, vs_mps, "push", None, icao24
    )


def head_on(gap_m: float, a: str | None = "alpha", b: str | None = "bravo") -> list[TrackState]:
    return [state(a, "1", 0.0, 0.0), state(b, "2", gap_m, 0.0, trk_deg=270.0)]


def mixed_rule(a: str | None, b: str | None) -> AlertTiers | None:
    """Wide tiers between parties, narrow ones with unattributed traffic, charlie's own pairs
    alerted (narrow), nothing else."""
    if a is None and b is None:
        return None
    if a is None or b is None:
        return NARROW
    if a == b:
        return NARROW if a == "charlie" else None
    return WIDE


def random_scene(seed: int, n: int = 40) -> list[TrackState]:
    """Tracks within ~40 km and 1.2 km of height: conflicts under every tier are common. Some
    share a level, some an ICAO address."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        alt = 3000.0 + (
            rng.integers(-2, 3) * 150.0 if rng.random() < 0.5 else rng.uniform(-600, 600)
        )
        icao = f"{rng.integers(0, 6):06x}" if rng.random() < 0.3 else None
        if icao is not None and rng.random() < 0.5:
            icao = icao.upper()
        out.append(
            state(
                PARTIES[int(rng.integers(0, len(PARTIES)))],
                f"t{i}",
                float(rng.uniform(-20_000, 20_000)),
                float(rng.uniform(-20_000, 20_000)),
                float(alt),
                float(rng.uniform(50, 300)),
                float(rng.uniform(0, 360)),
                float(rng.choice([0.0, 0.0, -5.0, 5.0, rng.uniform(-10, 10)])),
                icao,
            )
        )
    return out


def expected(
    tracks: list[TrackState], rule: object, exempt: frozenset[TrackPair] = frozenset()
) -> dict[TrackPair, tuple[str, int, float, float]]:
    """Every pair, one at a time, from the definition's reference: the most severe tier of the
    rule's tiers that `pair_conflict` finds the pair in."""
    states = engine_states(tracks, [str(i) for i in range(len(tracks))])
    found = {}
    for i, j in itertools.combinations(range(len(tracks)), 2):
        a, b = tracks[i], tracks[j]
        if a.icao24 is not None and b.icao24 is not None and a.icao24.lower() == b.icao24.lower():
            continue
        pair = TrackPair.of(a.key, b.key)
        ordered = sorted((a.key.party, b.key.party), key=lambda p: (p is None, p or ""))
        tiers = rule(*ordered)  # type: ignore[operator]
        if tiers is None or pair in exempt:
            continue
        for level, tier in enumerate(tiers.tiers):
            conflict = pair_conflict(states, i, j, tier.rpz_m, tier.hpz_m, tier.lookahead_s)
            if conflict is None:
                break
            found[pair] = (tier.name, level, conflict.tcpa_s, conflict.dcpa_m)
    return found


def summary(
    conditions: dict[TrackPair, Condition],
) -> dict[TrackPair, tuple[str, int, float, float]]:
    return {s: (c.tier, c.level, c.tcpa_s, c.dcpa_m) for s, c in conditions.items()}  # type: ignore[misc]


def assert_same(
    got: dict[TrackPair, Condition], want: dict[TrackPair, tuple[str, int, float, float]]
) -> None:
    assert {s: v[:2] for s, v in summary(got).items()} == {s: v[:2] for s, v in want.items()}
    for subject, (_, _, tcpa, dcpa) in want.items():
        assert got[subject].tcpa_s == pytest.approx(tcpa, rel=1e-9, abs=1e-6)
        assert got[subject].dcpa_m == pytest.approx(dcpa, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_random_scenes_alert_the_pairs_and_tiers_the_reference_finds(seed: int) -> None:
    tracks = random_scene(seed)
    want = expected(tracks, mixed_rule)
    assert_same(tactical_conditions(tracks, mixed_rule), want)


def test_the_random_scenes_exercise_every_rule_and_tier() -> None:
    """The scenes above are worth running: between them they hold every kind of pair at every
    tier, and aliases that would otherwise alert."""
    seen: set[tuple[str, int]] = set()
    kinds: set[str] = set()
    aliased = 0
    for seed in range(12):
        tracks = random_scene(seed)
        for subject, (tier, level, _, _) in expected(tracks, mixed_rule).items():
            seen.add((tier, level))
            a, b = subject.first.party, subject.second.party
            kinds.add("unattributed" if b is None else "own" if a == b else "inter")
        no_alias = [s._replace(icao24=None) for s in tracks]
        aliased += len(expected(no_alias, mixed_rule)) - len(expected(tracks, mixed_rule))
    assert seen == {("caution", 0), ("warning", 1), ("advisory", 0), ("caution", 1), ("warning", 2)}
    assert kinds == {"unattributed", "own", "inter"}
    assert aliased > 0


@pytest.mark.parametrize("seed", range(4))
def test_one_set_of_tiers_for_every_pair_is_detect_alerts(seed: int) -> None:
    tracks = [
        s._replace(key=TrackKey(f"p{i:02d}", "x"), icao24=None)
        for i, s in enumerate(random_scene(seed))
    ]
    got = tactical_conditions(tracks, between_parties(WIDE))
    alerts = detect_alerts(engine_states(tracks, [str(i) for i in range(len(tracks))]), WIDE)
    assert len(alerts) > 5
    want = {
        TrackPair.of(tracks[int(a.conflict.id1)].key, tracks[int(a.conflict.id2)].key): a
        for a in alerts
    }
    assert set(got) == set(want)
    for subject, alert in want.items():
        condition = got[subject]
        assert condition.tier == alert.tier.name
        assert condition.tcpa_s == pytest.approx(alert.conflict.tcpa_s, rel=1e-12, abs=1e-9)
        assert condition.extra["tin_s"] == pytest.approx(alert.conflict.tin_s, rel=1e-12, abs=1e-9)
        assert condition.extra["los"] == alert.conflict.los


def test_formations_are_exempt_and_only_their_own_pairs() -> None:
    tracks = random_scene(3)
    everything = expected(tracks, mixed_rule)
    some = sorted(everything, key=lambda s: s.sort_key())[:3]
    group = formation([k for s in some for k in s.tracks])
    got = tactical_conditions(tracks, mixed_rule, exempt=group)
    assert_same(got, expected(tracks, mixed_rule, group))
    assert not set(some) & set(got)
    assert len(got) < len(everything)


WHO = [
    ("two parties", ("alpha", None), ("bravo", None), between_parties(WIDE), True),
    ("one party", ("alpha", None), ("alpha", None), between_parties(WIDE), False),
    (
        "one party, intra alerts on",
        ("alpha", None),
        ("alpha", None),
        between_parties(WIDE, intra_party=True),
        True,
    ),
    ("party and unattributed", ("alpha", None), (None, None), between_parties(WIDE), True),
    (
        "two unattributed",
        (None, None),
        (None, None),
        between_parties(WIDE, intra_party=True),
        False,
    ),
    (
        "same ICAO address, any case",
        ("alpha", "4CA123"),
        (None, "4ca123"),
        between_parties(WIDE),
        False,
    ),
    (
        "same address pushed by two parties",
        ("alpha", "4ca123"),
        ("bravo", "4ca123"),
        between_parties(WIDE),
        False,
    ),
    ("different addresses", ("alpha", "4ca123"), (None, "4ca124"), between_parties(WIDE), True),
    ("no addresses", ("alpha", None), ("bravo", None), between_parties(WIDE), True),
]


@pytest.mark.parametrize(("desc", "a", "b", "rule", "alerted"), WHO, ids=[w[0] for w in WHO])
def test_who_is_alerted_against_whom(
    desc: str,
    a: tuple[str | None, str | None],
    b: tuple[str | None, str | None],
    rule: object,
    alerted: bool,
) -> None:
    tracks = [
        state(a[0], "1", 0.0, 0.0, icao24=a[1]),
        state(b[0], "2", 20_000.0, 0.0, trk_deg=270.0, icao24=b[1]),
    ]
    got = tactical_conditions(tracks, rule)  # type: ignore[arg-type]
    assert bool(got) == alerted


def test_the_rule_is_asked_once_per_pair_of_owners_in_key_order() -> None:
    asked: list[tuple[str | None, str | None]] = []

    def rule(a: str | None, b: str | None) -> AlertTiers | None:
        asked.append((a, b))
        return None

    tracks = [
        state(p, str(i), 1000.0 * i, 0.0) for i, p in enumerate(["bravo", None, "alpha", "bravo"])
    ]
    assert tactical_conditions(tracks, rule) == {}
    assert asked == [
        ("alpha", "alpha"),
        ("alpha", "bravo"),
        ("alpha", None),
        ("bravo", "bravo"),
        ("bravo", None),
        (None, None),
    ]


def test_a_head_on_condition_carries_its_figures_and_states_in_subject_order() -> None:
    tracks = head_on(20_000.0, a="bravo", b="alpha")
    ((subject, condition),) = tactical_conditions(tracks, between_parties(WIDE)).items()
    assert subject == TrackPair(TrackKey("alpha", "2"), TrackKey("bravo", "1"))
    assert condition.states == (tracks[1], tracks[0])
    assert condition.tier == "warning"
    assert condition.level == 1
    assert condition.tcpa_s == pytest.approx(50.0, rel=1e-6)
    assert condition.dcpa_m == pytest.approx(0.0, abs=1e-3)
    assert condition.separation_m == pytest.approx(20_000.0, rel=1e-6)
    assert condition.extra["tin_s"] == pytest.approx((20_000.0 - 5556.0) / 400.0, rel=1e-6)
    assert condition.extra["vertical_m"] == 0.0
    assert condition.extra["los"] is False


@pytest.mark.parametrize(
    ("gap_m", "tier"),
    [(200_000.0, None), (50_000.0, "caution"), (25_000.0, "warning"), (3_000.0, "warning")],
)
def test_the_tier_is_the_most_severe_one_met(gap_m: float, tier: str | None) -> None:
    got = tactical_conditions(head_on(gap_m), between_parties(WIDE))
    assert [c.tier for c in got.values()] == ([tier] if tier else [])


def test_no_tracks_or_no_rule_in_play_is_no_conditions() -> None:
    assert tactical_conditions([], between_parties(WIDE)) == {}
    assert tactical_conditions(head_on(3000.0, "alpha", "alpha"), between_parties(WIDE)) == {}
    assert tactical_conditions_near([], head_on(3000.0), between_parties(WIDE)) == {}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("updated", [1, 3, 40], ids=["one", "few", "all"])
def test_the_near_check_is_the_full_cycle_restricted_to_the_updated_tracks(
    seed: int, updated: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracks = random_scene(seed)
    rng = np.random.default_rng(seed + 100)
    moved = [
        s._replace(lat=s.lat + 0.01, trk_deg=(s.trk_deg + 40.0) % 360.0)
        for s in (tracks[i] for i in rng.choice(len(tracks), updated, replace=False).tolist())
    ]
    keys = {s.key for s in moved}
    picture = [next((m for m in moved if m.key == s.key), s) for s in tracks]
    full = tactical_conditions(picture, mixed_rule)
    want = {s: c for s, c in full.items() if keys & set(s.tracks)}
    got = tactical_conditions_near(moved, tracks, mixed_rule)
    assert got == want
    assert want or updated == 1
    monkeypatch.setattr("deconflict.alerting.tactical._NEAR_PAIRS_BUDGET", 0)
    assert tactical_conditions_near(moved, tracks, mixed_rule) == want


def test_a_new_track_joins_the_picture_in_the_near_check() -> None:
    tracks = head_on(20_000.0)
    newcomer = state("charlie", "9", 10_000.0, 0.0, trk_deg=0.0)
    got = tactical_conditions_near([newcomer], tracks, between_parties(WIDE))
    assert sorted(got, key=lambda s: s.sort_key()) == [
        TrackPair.of(TrackKey("alpha", "1"), newcomer.key),
        TrackPair.of(TrackKey("bravo", "2"), newcomer.key),
    ]


def test_pruning_uses_the_largest_of_each_threshold_over_all_tiers_in_play() -> None:
    """A narrow tier with a long look-ahead for one pair of owners, a wide one with a short
    look-ahead for another: a pair needing the long look-ahead must survive the pruning."""
    far_sighted = AlertTiers.of(AlertTier("far", 1000.0, 150.0, 200.0))

    def rule(a: str | None, b: str | None) -> AlertTiers | None:
        return far_sighted if b is None else WIDE

    tracks = [
        state("alpha", "1", 0.0, 0.0),
        state(None, "2", 70_000.0, 0.0, trk_deg=270.0),
        state("bravo", "3", 0.0, 50_000.0),
    ]
    (subject,) = tactical_conditions(tracks, rule)
    assert subject == TrackPair.of(TrackKey("alpha", "1"), TrackKey(None, "2"))
    assert tactical_conditions(tracks, lambda a, b: None if b is None else WIDE) == {}


def test_the_order_of_the_states_changes_nothing() -> None:
    tracks = random_scene(5)
    want = tactical_conditions(tracks, mixed_rule)
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(tracks)).tolist()
        assert tactical_conditions([tracks[i] for i in order], mixed_rule) == want


def test_a_head_on_encounter_through_the_book() -> None:
    """Two aircraft 80 km apart closing at 400 m/s on the equator, one cycle a second: raised
    at caution when the caution entry time drops under 120 s, updated to warning, back to
    caution once inside-warning ends after they pass, cleared 10 s after the last cycle in
    caution; a steady approach is never an update on its own."""

    def at(t: float) -> list[TrackState]:
        x = [-40_000.0 + 200.0 * t, 40_000.0 - 200.0 * t]
        return [
            TrackState(
                TrackKey(p, "1"), t, 0.0, math.degrees(xi / R_M), 3000.0, 200.0, trk, 0.0, "push"
            )
            for p, xi, trk in (("alpha", x[0], 90.0), ("bravo", x[1], 270.0))
        ]

    book = AlertBook()
    log = []
    for t in range(300):
        for transition in book.step(float(t), tactical_conditions(at(t), between_parties(WIDE))):
            log.append((t, type(transition).__name__, transition.alert.condition.tier))
    # caution entry (80,000 - 400 t - 9,260) / 400 < 120 from t = 57; warning entry < 60 from
    # t = 127; apart beyond 5,556 m from t = 214 and beyond 9,260 m from t = 224.
    assert log == [
        (57, "Raised", "caution"),
        (127, "Updated", "warning"),
        (214, "Updated", "caution"),
        (233, "Cleared", "caution"),
    ]
