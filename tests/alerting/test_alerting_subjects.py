"""Subjects: canonical pair order, tokens that tell subjects apart, and deterministic ids."""

from __future__ import annotations

import hashlib

import pytest

from deconflict.alerting import PartyChannel, TrackArea, TrackNotice, TrackPair, alert_id
from deconflict.errors import InvalidInput
from deconflict.tracks import TrackKey

A1 = TrackKey("alpha", "1")
B1 = TrackKey("bravo", "1")
X = TrackKey(None, "3c6444")


@pytest.mark.parametrize(
    ("a", "b", "first", "second"),
    [
        (A1, B1, A1, B1),
        (B1, A1, A1, B1),
        (X, A1, A1, X),
        (A1, X, A1, X),
        (TrackKey("alpha", "2"), A1, A1, TrackKey("alpha", "2")),
        (TrackKey(None, "b"), TrackKey(None, "a"), TrackKey(None, "a"), TrackKey(None, "b")),
        (TrackKey("", "a"), TrackKey(None, "a"), TrackKey("", "a"), TrackKey(None, "a")),
    ],
)
def test_a_pair_puts_its_tracks_in_key_order(
    a: TrackKey, b: TrackKey, first: TrackKey, second: TrackKey
) -> None:
    pair = TrackPair.of(a, b)
    assert (pair.first, pair.second) == (first, second)
    assert pair == TrackPair.of(b, a)
    assert hash(pair) == hash(TrackPair.of(b, a))
    assert pair.tracks == (first, second)


@pytest.mark.parametrize(("a", "b"), [(B1, A1), (A1, A1), (X, A1)])
def test_a_pair_built_out_of_order_or_of_one_track_is_refused(a: TrackKey, b: TrackKey) -> None:
    with pytest.raises(InvalidInput):
        TrackPair(a, b)


SUBJECTS = [
    TrackPair.of(A1, B1),
    TrackPair.of(A1, X),
    TrackPair.of(TrackKey("", "a"), TrackKey(None, "a")),
    TrackArea(A1, "pa_1"),
    TrackArea(X, "pa_1"),
    TrackNotice(A1, "pa_1"),
    TrackNotice(A1, "ntc_1"),
    PartyChannel("agr_1", "alpha"),
    PartyChannel("alpha", "agr_1"),
]


def test_every_subject_has_its_own_token_and_kind() -> None:
    tokens = [s.token() for s in SUBJECTS]
    assert len(set(tokens)) == len(SUBJECTS)
    assert [s.kind for s in SUBJECTS] == [
        *["tactical"] * 3,
        "intrusion",
        "intrusion",
        "conformance",
        "conformance",
        "channel_silent",
        "channel_silent",
    ]
    assert SUBJECTS[0].token() == '["tactical",["alpha","1"],["bravo","1"]]'
    assert SUBJECTS[4].token() == '["intrusion",[null,"3c6444"],"pa_1"]'


def test_the_alert_id_is_the_digest_of_token_and_time() -> None:
    subject = TrackPair.of(A1, B1)
    text = '["tactical",["alpha","1"],["bravo","1"]]\n1780300800.5'
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert alert_id(subject, 1_780_300_800.5) == "alr_" + digest[:20]
    assert alert_id(subject, 1_780_300_800) == alert_id(subject, 1_780_300_800.0)


def test_alert_ids_differ_by_subject_and_by_time() -> None:
    ids = {alert_id(s, t) for s in SUBJECTS for t in (0.0, 1.0, 1.000001)}
    assert len(ids) == len(SUBJECTS) * 3


def test_subjects_sort_by_kind_then_fields() -> None:
    ordered = sorted(SUBJECTS, key=lambda s: s.sort_key())
    assert [s.kind for s in ordered] == sorted(s.kind for s in SUBJECTS)
    assert ordered.index(TrackArea(A1, "pa_1")) < ordered.index(TrackArea(X, "pa_1"))
