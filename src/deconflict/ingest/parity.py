"""Mode S parity: the CRC-24 every message ends with, and which frames to trust.

Extended squitters (DF17, DF18) and all-call replies (DF11) carry plain parity: the remainder
of the whole message is zero (DF11 may carry an interrogator code below 80). Surveillance and
Comm-B replies (DF0, 4, 5, 16, 20, 21) overlay the parity with the aircraft's address, so the
remainder *is* the address. It is trusted only for an address recently heard with plain
parity, as dump1090 and readsb do; otherwise any corrupted frame would invent an aircraft.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["ADDRESS_PARITY_DF", "PLAIN_PARITY_DF", "KnownAddresses", "remainders"]

_GENERATOR = 0xFFF409
PLAIN_PARITY_DF = frozenset({11, 17, 18})
ADDRESS_PARITY_DF = frozenset({0, 4, 5, 16, 20, 21})
_MAX_INTERROGATOR_CODE = 80


def _table() -> NDArray[np.uint32]:
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc = ((crc << 1) ^ _GENERATOR) if crc & 0x800000 else (crc << 1)
        table[byte] = crc & 0xFFFFFF
    return table


_TABLE = _table()


def remainders(messages: Sequence[bytes]) -> NDArray[np.uint32]:
    """The CRC-24 remainder of each message over all its bytes (0 for intact plain parity).
    Messages of one length are done together, column by column."""
    out = np.zeros(len(messages), dtype=np.uint32)
    by_length: dict[int, list[int]] = {}
    for index, message in enumerate(messages):
        by_length.setdefault(len(message), []).append(index)
    for length, indexes in by_length.items():
        if length < 4:
            continue
        block = np.frombuffer(b"".join(messages[i] for i in indexes), dtype=np.uint8)
        block = block.reshape(len(indexes), length)
        crc = np.zeros(len(indexes), dtype=np.uint32)
        for column in range(length - 3):
            top = ((crc >> 16) ^ block[:, column]) & 0xFF
            crc = ((crc << 8) ^ _TABLE[top]) & 0xFFFFFF
        tail = block[:, -3:].astype(np.uint32)
        out[indexes] = crc ^ ((tail[:, 0] << 16) | (tail[:, 1] << 8) | tail[:, 2])
    return out


class KnownAddresses:
    """Addresses heard with plain parity, and when: what an address-parity reply may name."""

    def __init__(self, keep_s: float = 60.0) -> None:
        self.keep_s = keep_s
        self._heard: dict[int, float] = {}

    def heard(self, address: int, t_s: float) -> None:
        self._heard[address] = t_s

    def knows(self, address: int, t_s: float) -> bool:
        last = self._heard.get(address)
        return last is not None and t_s - last <= self.keep_s

    def forget_before(self, t_s: float) -> None:
        self._heard = {a: t for a, t in self._heard.items() if t_s - t <= self.keep_s}

    def __len__(self) -> int:
        return len(self._heard)

    def trusted_address(self, message: bytes, remainder: int, t_s: float) -> int | None:
        """The address a frame may be credited to, or None to count it as bad parity. A
        plain-parity frame that passes also makes its address known."""
        df = downlink_format(message)
        if df in PLAIN_PARITY_DF:
            if (df == 11 and remainder >= _MAX_INTERROGATOR_CODE) or (df != 11 and remainder):
                return None
            address = int.from_bytes(message[1:4], "big")
            self.heard(address, t_s)
            return address
        if df in ADDRESS_PARITY_DF and self.knows(remainder, t_s):
            return remainder
        return None


def downlink_format(message: bytes) -> int:
    """The DF field; 24 and above share the value 24 (Comm-D)."""
    return min(message[0] >> 3, 24)
