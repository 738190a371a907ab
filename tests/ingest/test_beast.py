"""Beast framing: escapes, frame types, chunking, resynchronisation and counter order."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.ingest.beast import (
    MLAT_COUNTER,
    BeastFrame,
    BeastStream,
    Deframer,
    encode_frame,
)

SAMPLE = Path(__file__).parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"
LONG = bytes.fromhex("8d48520a58c3849c784990179ae0")
SHORT = bytes.fromhex("5d3981e46dc8eb")


def frame(counter: int, message: bytes = LONG, signal: int = 0x80) -> BeastFrame:
    kind = {2: 0x31, 7: 0x32, 14: 0x33}[len(message)]
    return BeastFrame(kind, counter, signal, message)


def test_a_frame_reads_back_with_its_counter_signal_and_message() -> None:
    wire = bytes([0x1A, 0x33]) + (123456789).to_bytes(6, "big") + b"\x42" + LONG
    (read,) = Deframer().feed(wire)
    assert read == BeastFrame(0x33, 123456789, 0x42, LONG)
    assert read.seconds == pytest.approx(123456789 / 12e6)
    assert encode_frame(read) == wire


def test_escaped_bytes_in_counter_signal_and_message_are_undoubled() -> None:
    sent = frame(0x1A1A001A0000, bytes.fromhex("1a1a1a0000001a"), signal=0x1A)
    wire = encode_frame(sent)
    assert wire.count(b"\x1a\x1a") >= 6
    assert Deframer().feed(wire) == [sent]


def test_mode_ac_short_and_long_frames_are_told_apart() -> None:
    frames = [frame(1, b"\x12\x34"), frame(2, SHORT), frame(3, LONG)]
    read = Deframer().feed(b"".join(encode_frame(f) for f in frames))
    assert read == frames
    assert [f.is_mode_ac for f in read] == [True, False, False]


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=4218), max_size=40))
def test_any_chunking_of_the_sample_gives_the_same_frames(cuts: list[int]) -> None:
    data = SAMPLE.read_bytes()
    whole = Deframer().feed(data)
    deframer = Deframer()
    pieces: list[BeastFrame] = []
    edges = [0, *sorted(cuts), len(data)]
    for start, end in itertools.pairwise(edges):
        pieces += deframer.feed(data[start:end])
    assert pieces == whole
    assert deframer.counts == {}


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/data/adsb/sample_dump1090.bin")
def test_the_sample_recording_is_239_frames_that_re_encode_to_the_same_bytes() -> None:
    data = SAMPLE.read_bytes()
    frames = Deframer().feed(data)
    assert len(frames) == 239
    assert b"".join(encode_frame(f) for f in frames) == data


def test_garbage_before_and_between_frames_is_skipped_and_counted() -> None:
    good = [frame(10), frame(20, SHORT)]
    wire = b"\x00\xffjunk" + encode_frame(good[0]) + b"\x01\x02" + encode_frame(good[1])
    deframer = Deframer()
    assert deframer.feed(wire) == good
    assert deframer.counts["garbage"] == 2


def test_a_frame_cut_short_by_the_next_is_counted_as_truncated_and_the_next_is_read() -> None:
    cut = encode_frame(frame(10))[:9]
    deframer = Deframer()
    assert deframer.feed(cut + encode_frame(frame(20))) == [frame(20)]
    assert deframer.counts["truncated"] == 1


def test_an_unknown_type_byte_is_counted_and_skipped() -> None:
    deframer = Deframer()
    assert deframer.feed(b"\x1a\x34" + b"\x00" * 9 + encode_frame(frame(5))) == [frame(5)]
    assert deframer.counts["unknown_type"] == 1


def test_a_partial_frame_waits_for_the_rest() -> None:
    wire = encode_frame(frame(0x1A))
    deframer = Deframer()
    assert deframer.feed(wire[:3]) == []
    assert deframer.feed(wire[3:]) == [frame(0x1A)]
    assert deframer.counts == {}


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_and_every_frame_read_has_a_right_sized_message(
    data: bytes,
) -> None:
    for read in Deframer().feed(data):
        assert len(read.message) == {0x31: 2, 0x32: 7, 0x33: 14}[read.kind]


def test_the_stream_skips_counters_that_go_back_or_repeat_but_passes_mlat() -> None:
    frames = [frame(10), frame(5), frame(10), frame(0), frame(MLAT_COUNTER), frame(11)]
    stream = BeastStream()
    read = stream.read(b"".join(encode_frame(f) for f in frames))
    assert [f.counter for f in read] == [10, 0, MLAT_COUNTER, 11]
    assert stream.counts["out_of_order"] == 1
    assert stream.counts["duplicate_timestamp"] == 1
    assert [f.is_mlat for f in read] == [False, True, True, False]
