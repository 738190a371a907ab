"""Conformance: the raw check against a notice's buffered volumes, table-driven, and the watch
that only alerts after more than 10 s outside on end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box

from deconflict.alerting import (
    OUTSIDE,
    AlertBook,
    Buffers,
    Cleared,
    ConformanceWatch,
    NoticeVolumes,
    Outside,
    Raised,
    TrackNotice,
    outside_notices,
)
from deconflict.errors import InvalidInput
from deconflict.geometry import AltitudeBand, Circle, Edges, Footprint, Outline, TimeWindow, Volume
from deconflict.geometry.geodesy import GEOD
from deconflict.tracks import TrackKey, TrackState

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOW_S = NOW.timestamp()
BOX = Outline(box(2.0, 47.9, 2.5, 48.1))
BUFFERS = Buffers(buffer_h_m=500.0, buffer_v_m=100.0, buffer_t_s=60.0)


def volume(footprint: Footprint = BOX, lower_m: float = 0.0, upper_m: float = 3000.0) -> Volume:
    return Volume(
        footprint, AltitudeBand(lower_m, upper_m), TimeWindow(NOW - timedelta(hours=1), NOW)
    )


def offset(lon: float, lat: float, azimuth_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` from (lon, lat) along the WGS84 geodesic at `azimuth_deg`."""
    to_lon, to_lat, _ = GEOD.fwd(lon, lat, azimuth_deg, distance_m)
    return float(to_lon), float(to_lat)


def state(
    lon: float = 2.25,
    lat: float = 48.0,
    alt_m: float = 1000.0,
    t_s: float = NOW_S - 600.0,
    notice_id: str | None = "ntc_1",
) -> TrackState:
    return TrackState(
        TrackKey("alpha", "a1"),
        t_s,
        lat,
        lon,
        alt_m,
        200.0,
        90.0,
        0.0,
        "push",
        notice_id=notice_id,
    )


WEST_OF_BOX = {d: offset(2.0, 48.0, 270.0, d) for d in (300.0, 700.0)}
FROM_CENTRE = {d: offset(2.25, 48.0, 30.0, d) for d in (5400.0, 5600.0)}
START_S, END_S = NOW_S - 3600.0, NOW_S


@dataclass(frozen=True)
class Case:
    desc: str
    volumes: tuple[Volume, ...]
    state: TrackState
    gap_m: float | None
    """None: inside the notice; else outside with this horizontal gap."""


CASES = [
    Case("inside", (volume(),), state(), None),
    Case("outside by less than the buffer", (volume(),), state(*WEST_OF_BOX[300.0]), None),
    Case("outside by more than the buffer", (volume(),), state(*WEST_OF_BOX[700.0]), 200.0),
    Case("above the band within the buffer", (volume(),), state(alt_m=3090.0), None),
    Case("above the band beyond the buffer", (volume(),), state(alt_m=3110.0), 0.0),
    Case("below the band beyond the buffer", (volume(lower_m=500.0),), state(alt_m=390.0), 0.0),
    Case("before the window within the buffer", (volume(),), state(t_s=START_S - 59.0), None),
    Case("before the window beyond the buffer", (volume(),), state(t_s=START_S - 61.0), 0.0),
    Case("after the window within the buffer", (volume(),), state(t_s=END_S + 59.0), None),
    Case("at the buffered window's end, which is open", (volume(),), state(t_s=END_S + 60.0), 0.0),
    Case(
        "outside in space and time",
        (volume(),),
        state(*WEST_OF_BOX[700.0], t_s=END_S + 600.0),
        200.0,
    ),
    Case(
        "in a circle's buffer",
        (volume(Circle(2.25, 48.0, 5000.0)),),
        state(*FROM_CENTRE[5400.0]),
        None,
    ),
    Case(
        "beyond a circle's buffer",
        (volume(Circle(2.25, 48.0, 5000.0)),),
        state(*FROM_CENTRE[5600.0]),
        100.0,
    ),
    Case(
        "outside one volume, inside the other",
        (volume(Outline(box(3.0, 47.9, 3.5, 48.1))), volume()),
        state(),
        None,
    ),
    Case(
        "outside both, the gap to the nearer",
        (volume(Outline(box(3.0, 47.9, 3.5, 48.1))), volume()),
        state(*WEST_OF_BOX[700.0]),
        200.0,
    ),
    Case(
        "over one volume's footprint but above it, beyond the other's",
        (volume(upper_m=500.0), volume(Outline(box(3.0, 47.9, 3.5, 48.1)))),
        state(),
        0.0,
    ),
    Case(
        "a geodesic outline",
        (volume(Outline(box(2.0, 47.9, 2.5, 48.1), Edges.GEODESIC)),),
        state(*WEST_OF_BOX[700.0]),
        200.0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.desc for c in CASES])
def test_outside_notices(case: Case) -> None:
    notices = {"ntc_1": NoticeVolumes("ntc_1", case.volumes, BUFFERS)}
    got = outside_notices(notices, [case.state])
    if case.gap_m is None:
        assert got == {}
        return
    assert list(got) == [TrackNotice(TrackKey("alpha", "a1"), "ntc_1")]
    (found,) = got.values()
    assert found.state == case.state
    assert found.gap_m == pytest.approx(case.gap_m, abs=5.0)


def test_the_case_table_is_all_there() -> None:
    assert len(CASES) == 17
    assert sum(c.gap_m is None for c in CASES) == 7


def test_tracks_citing_no_notice_or_one_not_given_are_not_judged() -> None:
    notices = {"ntc_1": NoticeVolumes("ntc_1", (volume(),), BUFFERS)}
    far = WEST_OF_BOX[700.0]
    states = [
        state(*far, notice_id=None),
        state(*far, notice_id="ntc_2")._replace(key=TrackKey("alpha", "a2")),
        state(*far)._replace(key=TrackKey("alpha", "a3")),
    ]
    assert list(outside_notices(notices, states)) == [TrackNotice(TrackKey("alpha", "a3"), "ntc_1")]


@pytest.mark.parametrize("field", ["buffer_h_m", "buffer_v_m", "buffer_t_s"])
@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_buffers_must_be_finite_and_not_negative(field: str, value: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        Buffers(**{field: value})
    assert [e.pointer for e in caught.value.errors] == [f"/{field}"]


SUBJECT = TrackNotice(TrackKey("alpha", "a1"), "ntc_1")


def outside(t_s: float, gap_m: float = 250.0) -> dict[TrackNotice, Outside]:
    return {SUBJECT: Outside(state(t_s=t_s), gap_m)}


@pytest.mark.parametrize(
    ("pattern", "first_alert_s"),
    [
        ("o" * 12, 11),
        ("o" * 11, None),
        ("oooooo.oooooooooooo", 18),
        ("o.o.o.o.o.o.o.o.o.o.o.o.o", None),
        (".." + "o" * 14, 13),
    ],
    ids=["12 s outside", "11 s outside", "back in once", "flickering", "late start"],
)
def test_the_watch_alerts_after_more_than_ten_seconds_outside_on_end(
    pattern: str, first_alert_s: int | None
) -> None:
    """One cycle a second; `o` is a cycle that finds the track outside."""
    watch = ConformanceWatch()
    alerted = [
        t
        for t, mark in enumerate(pattern)
        if watch.step(float(t), outside(float(t)) if mark == "o" else {})
    ]
    assert (alerted[0] if alerted else None) == first_alert_s
    if first_alert_s is not None:
        assert alerted == list(range(first_alert_s, len(pattern)))


def test_the_condition_carries_the_gap_the_state_and_since_when() -> None:
    watch = ConformanceWatch(outside_for_s=2.0)
    watch.step(100.0, outside(100.0))
    assert watch.since(SUBJECT) == 100.0
    watch.step(102.0, outside(102.0))
    ((subject, condition),) = watch.step(102.5, outside(102.5, 900.0)).items()
    assert subject == SUBJECT
    assert condition.tier == OUTSIDE
    assert condition.dcpa_m == condition.separation_m == 900.0
    assert condition.tcpa_s is None
    assert condition.states == (state(t_s=102.5),)
    assert condition.extra["outside_since_s"] == 100.0
    watch.step(103.0, {})
    assert watch.since(SUBJECT) is None


def test_through_the_book_a_conformance_alert_raises_and_clears() -> None:
    watch, book = ConformanceWatch(), AlertBook()
    log = []
    for t in range(40):
        found = outside(float(t)) if t < 20 else {}
        log += [(t, type(x)) for x in book.step(float(t), watch.step(float(t), found))]
    assert log == [(11, Raised), (29, Cleared)]


def test_a_negative_outside_for_is_refused() -> None:
    with pytest.raises(ValueError, match="outside_for_s"):
        ConformanceWatch(-1.0)
