"""Beast binary framing, as dump1090 and readsb serve it on TCP port 30005.

A frame is `0x1a`, a type byte (`1` Mode A/C, `2` short Mode S, `3` long Mode S), a 48-bit
big-endian counter of a 12 MHz clock, one signal byte, then the 2, 7 or 14 message bytes. Inside
a frame every `0x1a` byte is doubled. A lone `0x1a` followed by a type byte starts a new frame, so
the reader resynchronises after garbage or a frame cut short; each such event is counted, never
raised.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = [
    "ESCAPE",
    "MLAT_COUNTER",
    "TICKS_PER_S",
    "BeastFrame",
    "BeastStream",
    "Deframer",
    "encode_frame",
]

ESCAPE = 0x1A
TICKS_PER_S = 12_000_000
"""The Beast counter runs at 12 MHz."""
MLAT_COUNTER = 0xFF004D4C4154
"""The counter mlat-client and readsb put on positions they computed by multilateration."""

_MESSAGE_BYTES = {0x31: 2, 0x32: 7, 0x33: 14}
_HEADER_BYTES = 7
"""Counter (6) and signal (1)."""


@dataclass(frozen=True, slots=True)
class BeastFrame:
    """One received frame: its type byte, receiver counter, signal level and message."""

    kind: int
    counter: int
    signal: int
    message: bytes

    @property
    def is_mode_ac(self) -> bool:
        return self.kind == 0x31

    @property
    def is_mlat(self) -> bool:
        """A frame a multilateration server made, or one with no receiver time at all."""
        return self.counter in (0, MLAT_COUNTER)

    @property
    def seconds(self) -> float:
        """The receiver's counter in seconds (its own clock, not UTC)."""
        return self.counter / TICKS_PER_S


class Deframer:
    """Turns a byte stream, in chunks of any size, into frames; keeps a partial frame between
    chunks. `counts` holds `garbage` (runs of bytes skipped to find a frame), `truncated` (a
    frame cut short by the start of the next) and `unknown_type`."""

    def __init__(self) -> None:
        self._pending = b""
        self.counts: Counter[str] = Counter()

    @property
    def pending_bytes(self) -> int:
        """Bytes of a frame begun but not finished."""
        return len(self._pending)

    def feed(self, data: bytes) -> list[BeastFrame]:
        buffer = self._pending + data if self._pending else data
        frames: list[BeastFrame] = []
        position = 0
        end = len(buffer)
        while position < end:
            start = buffer.find(ESCAPE, position)
            if start < 0:
                self.counts["garbage"] += 1
                position = end
                break
            if start > position:
                self.counts["garbage"] += 1
            if start + 1 >= end:
                position = start
                break
            kind = buffer[start + 1]
            size = _MESSAGE_BYTES.get(kind)
            if size is None:
                if kind != ESCAPE:
                    self.counts["unknown_type"] += 1
                position = start + (2 if kind == ESCAPE else 1)
                continue
            body, after = _unescape(buffer, start + 2, _HEADER_BYTES + size)
            if body is None:
                if after < 0:  # the chunk ends inside this frame: wait for more
                    position = start
                    break
                self.counts["truncated"] += 1
                position = after
                continue
            frames.append(
                BeastFrame(kind, int.from_bytes(body[:6], "big"), body[6], bytes(body[7:]))
            )
            position = after
        self._pending = buffer[position:]
        return frames


def _unescape(buffer: bytes, start: int, size: int) -> tuple[bytes | None, int]:
    """The `size` unescaped bytes from `start` and the index after them; `(None, -1)` if the
    buffer ends first, `(None, i)` if a new frame starts at `i` before `size` bytes were read."""
    raw = buffer[start : start + size]
    if len(raw) == size and ESCAPE not in raw:
        return raw, start + size
    out = bytearray()
    index = start
    end = len(buffer)
    while len(out) < size:
        if index >= end:
            return None, -1
        byte = buffer[index]
        if byte == ESCAPE:
            if index + 1 >= end:
                return None, -1
            if buffer[index + 1] != ESCAPE:
                return None, index
            index += 1
        out.append(byte)
        index += 1
    return bytes(out), index


def encode_frame(frame: BeastFrame) -> bytes:
    """The frame on the wire, with its escapes: for simulators, recordings and tests."""
    body = frame.counter.to_bytes(6, "big") + bytes([frame.signal]) + frame.message
    return bytes([ESCAPE, frame.kind]) + body.replace(b"\x1a", b"\x1a\x1a")


class BeastStream:
    """One receiver's byte stream: frames in counter order. A frame whose counter goes back
    (`out_of_order`) or repeats the last one (`duplicate_timestamp`) is counted and skipped;
    frames without a receiver time (counter 0, MLAT results) pass, since they carry none."""

    def __init__(self) -> None:
        self.deframer = Deframer()
        self.counts = self.deframer.counts
        self._last_counter = -1

    def read(self, data: bytes) -> list[BeastFrame]:
        ordered: list[BeastFrame] = []
        for frame in self.deframer.feed(data):
            if frame.is_mlat:
                ordered.append(frame)
            elif frame.counter < self._last_counter:
                self.counts["out_of_order"] += 1
            elif frame.counter == self._last_counter:
                self.counts["duplicate_timestamp"] += 1
            else:
                self._last_counter = frame.counter
                ordered.append(frame)
        return ordered
