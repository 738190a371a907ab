"""Mode S frames to aircraft positions: parity, de-duplication, decoding, state assembly.

One `ModeSDecoder` serves every receiver of a picture, so an aircraft heard by two receivers is
one aircraft; each call passes the counter of the feed it came from, so each feed's reasons are
its own. Message fields are decoded by rs1090 (MIT), in batches; a frame it cannot decode is
counted, and results are matched to frames by position, never assumed aligned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import rs1090

from deconflict.ingest.aircraft import AircraftStates, Position
from deconflict.ingest.beast import BeastFrame, BeastStream
from deconflict.ingest.parity import KnownAddresses, downlink_format, remainders

__all__ = ["DUPLICATE_WINDOW_S", "REASONS", "ModeSDecoder", "decode_beast"]

DUPLICATE_WINDOW_S = 1.0
"""The same message bytes from another receiver within this time are one transmission heard
twice. From the same receiver they are a new transmission (a transponder repeats itself)."""

REASONS = (
    "garbage",
    "truncated",
    "unknown_type",
    "out_of_order",
    "duplicate_timestamp",
    "mode_ac",
    "mlat",
    "bad_parity",
    "duplicate",
    "undecodable",
    "cpr_unresolved",
    "surface_no_receiver",
    "implausible",
)
"""Every reason a frame is skipped, each counted under its own name."""

BatchDecoder = Callable[[list[str]], Any]


def _rs1090_batch(messages: list[str]) -> Any:
    return rs1090.decode(messages)


class ModeSDecoder:
    """Turns frames into positions and keeps what is known of each aircraft."""

    def __init__(
        self,
        receiver: tuple[float, float] | None = None,
        *,
        batch_decoder: BatchDecoder = _rs1090_batch,
    ) -> None:
        self.states = AircraftStates(receiver)
        self.addresses = KnownAddresses()
        self._decode_batch = batch_decoder
        self._recent: dict[bytes, tuple[float, str]] = {}
        self._pruned_at = float("-inf")

    def decode(
        self,
        frames: Sequence[BeastFrame],
        times_s: Sequence[float],
        counts: Counter[str],
        source: str = "",
    ) -> list[Position]:
        """The positions in these frames, in order; `times_s[i]` is when frame i was heard by
        the receiver `source`. Every frame skipped is counted under its reason in `counts`;
        `df<N>` counts frames decoded per downlink format."""
        if len(frames) != len(times_s):
            raise ValueError("one time per frame")
        counts["frames"] += len(frames)
        if times_s:
            self._prune(max(times_s))
        candidates = [i for i, frame in enumerate(frames) if self._worth_decoding(frame, counts)]
        checks = remainders([frames[i].message for i in candidates])
        trusted: list[tuple[int, int]] = []
        for index, remainder in zip(candidates, checks.tolist(), strict=True):
            frame, t_s = frames[index], times_s[index]
            if self.addresses.trusted_address(frame.message, remainder, t_s) is None:
                counts["bad_parity"] += 1
                continue
            last = self._recent.get(frame.message)
            if last is not None and last[1] != source and abs(t_s - last[0]) <= DUPLICATE_WINDOW_S:
                counts["duplicate"] += 1
                continue
            self._recent[frame.message] = (t_s, source)
            trusted.append((index, downlink_format(frame.message)))
        decoded = self._decoded([frames[i].message for i, _ in trusted])
        positions: list[Position] = []
        for (index, df), message in zip(trusted, decoded, strict=True):
            if not isinstance(message, dict) or "icao24" not in message:
                counts["undecodable"] += 1
                continue
            counts[f"df{df}"] += 1
            found = self.states.update(message, df, times_s[index], counts)
            if found is not None:
                positions.append(found)
        return positions

    def _worth_decoding(self, frame: BeastFrame, counts: Counter[str]) -> bool:
        if frame.is_mode_ac:
            counts["mode_ac"] += 1
            return False
        if frame.is_mlat:
            counts["mlat"] += 1
            return False
        return True

    def _decoded(self, messages: list[bytes]) -> list[object]:
        """rs1090's result for each message, in the same order. A batch call that returns a
        list of another length is not trusted: each message is then decoded on its own."""
        if not messages:
            return []
        hexes = [message.hex() for message in messages]
        results = self._decode_batch(hexes)
        if isinstance(results, list) and len(results) == len(hexes):
            return results
        return [self._decode_one(text) for text in hexes]

    def _decode_one(self, text: str) -> object:
        results = self._decode_batch([text])
        return results[0] if isinstance(results, list) and len(results) == 1 else None

    def _prune(self, now_s: float) -> None:
        if now_s - self._pruned_at < 10 * DUPLICATE_WINDOW_S:
            return
        self._pruned_at = now_s
        self._recent = {
            m: heard for m, heard in self._recent.items() if now_s - heard[0] <= DUPLICATE_WINDOW_S
        }
        self.addresses.forget_before(now_s)


def decode_beast(
    chunks: Iterable[bytes], receiver: tuple[float, float] | None = None
) -> tuple[list[Position], Counter[str]]:
    """Every position in a Beast recording, timed by its receiver counter (seconds), and the
    counts of frames read, skipped (per reason) and decoded (per downlink format)."""
    stream = BeastStream()
    decoder = ModeSDecoder(receiver)
    counts: Counter[str] = Counter()
    positions: list[Position] = []
    for chunk in chunks:
        frames = stream.read(chunk)
        positions += decoder.decode(frames, [frame.seconds for frame in frames], counts)
    counts.update(stream.counts)
    return positions, counts
