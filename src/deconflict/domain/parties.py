"""Who takes part: parties and the public keys they register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["KeyPurpose", "Party", "PublicKey"]


class KeyPurpose(StrEnum):
    """What a party's public key may sign; acknowledgement and co-signing keys are distinct."""

    ACK = "ack"
    COSIGN = "cosign"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key (32 raw bytes, base64 in JSON) registered by a party."""

    purpose: KeyPurpose
    key_b64: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Party:
    """An air force, operator or agency that takes part in one or more agreements."""

    id: str
    name: str
    keys: tuple[PublicKey, ...] = ()
