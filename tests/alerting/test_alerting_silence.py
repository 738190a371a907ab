"""Channel silence: last seen per party, counted from the watch's start for a party not seen."""

from __future__ import annotations

import pytest

from deconflict.alerting import SILENT, ChannelWatch, PartyChannel, Watched

STARTED_S = 1000.0


@pytest.mark.parametrize(
    ("seen", "now_s", "silent"),
    [
        ([], 1060.0, False),
        ([], 1060.5, True),
        ([("alpha", 1050.0)], 1110.0, False),
        ([("alpha", 1050.0)], 1110.001, True),
        ([("alpha", 1050.0), ("alpha", 1020.0)], 1100.0, False),
        ([("alpha", 990.0)], 1060.5, True),
        ([("bravo", 1050.0)], 1060.5, True),
    ],
    ids=[
        "never seen, 60 s since the start",
        "never seen, over 60 s since the start",
        "seen 60 s ago",
        "seen over 60 s ago",
        "an earlier sighting does not undo a later one",
        "seen before the watch began counts from the start",
        "another party seen",
    ],
)
def test_a_party_is_silent_after_silent_after_s(
    seen: list[tuple[str, float]], now_s: float, silent: bool
) -> None:
    watch = ChannelWatch(STARTED_S)
    for party, t_s in seen:
        watch.seen(party, t_s)
    got = watch.conditions(now_s, [Watched("agr_1", "alpha", 60.0)])
    assert (PartyChannel("agr_1", "alpha") in got) == silent
    assert len(got) == int(silent)


def test_each_agreement_watches_with_its_own_limit() -> None:
    watch = ChannelWatch(STARTED_S)
    watch.seen("alpha", 1000.0)
    got = watch.conditions(
        1100.0,
        [
            Watched("agr_1", "alpha", 60.0),
            Watched("agr_2", "alpha", 300.0),
            Watched("agr_1", "bravo"),
        ],
    )
    assert sorted(got, key=lambda s: s.sort_key()) == [
        PartyChannel("agr_1", "alpha"),
        PartyChannel("agr_1", "bravo"),
    ]
    condition = got[PartyChannel("agr_1", "alpha")]
    assert condition.tier == SILENT
    assert (condition.tcpa_s, condition.dcpa_m, condition.separation_m) == (None, None, None)
    assert condition.extra == {"last_seen_s": 1000.0, "silent_for_s": 100.0}


def test_a_party_that_comes_back_is_no_longer_silent() -> None:
    watch = ChannelWatch(STARTED_S)
    watched = [Watched("agr_1", "alpha", 60.0)]
    assert watch.conditions(1100.0, watched)
    watch.seen("alpha", 1100.0)
    assert watch.conditions(1100.0, watched) == {}
    assert watch.last_seen_s("alpha") == 1100.0
    assert watch.last_seen_s("bravo") == STARTED_S
