"""The facts that set the mechanism up: parties, their keys and tokens, declared aircraft, the
log's key, agreement versions, protected areas and hazards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from deconflict.domain.agreements import AgreementTerms, Hazard, ProtectedArea
from deconflict.domain.aircraft import AircraftDeclaration
from deconflict.domain.facts.base import (
    Fact,
    members_of,
    named,
    parties_of,
)
from deconflict.domain.parties import KeyPurpose
from deconflict.geometry.formats import volume_to_geojson

__all__ = [
    "AgreementVersioned",
    "AircraftDeclared",
    "AreaAdded",
    "AreaRemoved",
    "HazardAdded",
    "HazardRemoved",
    "KeyAdded",
    "LogKeyRotated",
    "PartyAdded",
    "TokenRevoked",
    "TokenRotated",
]


@dataclass(frozen=True, slots=True)
class PartyAdded(Fact):
    entry_type: ClassVar[str] = "party.added"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id", "name"})
    party_id: str
    name: str

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class KeyAdded(Fact):
    """A party's public key was registered (by the party itself, or by the admin: `by` None)."""

    entry_type: ClassVar[str] = "party.key"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id", "purpose", "key"})
    party_id: str
    purpose: KeyPurpose
    key_b64: str
    by: str | None

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id, "purpose": self.purpose.value, "key": self.key_b64}


@dataclass(frozen=True, slots=True)
class AircraftDeclared(Fact):
    """A party declared which aircraft are its own (by the party itself, or by the admin: `by`
    None), replacing what it declared before; told to its partners, who see its tracks."""

    entry_type: ClassVar[str] = "party.aircraft"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"party_id", "icao24_ranges", "callsign_prefixes"}
    )
    declaration: AircraftDeclaration
    partners: frozenset[str]
    by: str | None

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return self.partners | {self.declaration.party}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party, body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return self.declaration.as_dict()


@dataclass(frozen=True, slots=True)
class TokenRotated(Fact):
    """A bearer token was replaced: a party's, or the admin's (`party_id` None), by the party
    itself or by the admin (`by` None). The old token stopped working in the same transaction.

    The entry names whose token changed and who changed it, never the token nor a digest of it:
    the log travels further than the database (witnesses, proof bundles), a digest proves
    nothing a party could check, and an operator-chosen admin token may be short enough to guess
    from one offline."""

    entry_type: ClassVar[str] = "token.rotated"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id"})
    party_id: str | None
    by: str | None

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id}


@dataclass(frozen=True, slots=True)
class TokenRevoked(Fact):
    """The admin revoked a party's token: none of it authenticates until a new one is issued."""

    entry_type: ClassVar[str] = "token.revoked"
    body_fields: ClassVar[frozenset[str]] = frozenset({"party_id"})
    party_id: str

    @property
    def audience(self) -> frozenset[str]:
        return parties_of(self.party_id)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(body.get("party_id"))

    def body(self) -> dict[str, Any]:
        return {"party_id": self.party_id}


@dataclass(frozen=True, slots=True)
class LogKeyRotated(Fact):
    """The log's signing key changed from `old_vkey` to `new_vkey`; `signature_b64` is the old
    key's signature of the change (`deconflict.log.rotation`). Every checkpoint holding this
    entry is signed by the new key, so whoever pinned the old key can follow the change."""

    entry_type: ClassVar[str] = "log.key"
    body_fields: ClassVar[frozenset[str]] = frozenset({"old_key", "new_key", "signature"})
    old_vkey: str
    new_vkey: str
    signature_b64: str
    parties: frozenset[str]

    @property
    def audience(self) -> frozenset[str]:
        return self.parties

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        """None: every party hears of it, and the body names none."""
        return frozenset()

    def body(self) -> dict[str, Any]:
        return {"old_key": self.old_vkey, "new_key": self.new_vkey, "signature": self.signature_b64}


@dataclass(frozen=True, slots=True)
class AgreementVersioned(Fact):
    entry_type: ClassVar[str] = "agreement.version"
    body_fields: ClassVar[frozenset[str]] = frozenset({"agreement_id", "version", "terms"})
    agreement_id: str
    version: int
    terms: AgreementTerms

    @property
    def audience(self) -> frozenset[str]:
        return frozenset(self.terms.members)

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return members_of(body)

    def body(self) -> dict[str, Any]:
        return {
            "agreement_id": self.agreement_id,
            "version": self.version,
            "terms": self.terms.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class AreaAdded(Fact):
    """A protected area, told to its owner's partners."""

    entry_type: ClassVar[str] = "protected_area.added"
    body_fields: ClassVar[frozenset[str]] = frozenset({"area_id", "owner", "name", "volume"})
    area: ProtectedArea
    partners: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.area.owner

    @property
    def audience(self) -> frozenset[str]:
        return self.partners | {self.area.owner}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party, body.get("owner"))

    def body(self) -> dict[str, Any]:
        a = self.area
        return {
            "area_id": a.id,
            "owner": a.owner,
            "name": a.name,
            "volume": volume_to_geojson(a.volume),
        }


@dataclass(frozen=True, slots=True)
class AreaRemoved(Fact):
    entry_type: ClassVar[str] = "protected_area.removed"
    body_fields: ClassVar[frozenset[str]] = frozenset({"area_id", "owner"})
    area_id: str
    owner: str
    partners: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.owner

    @property
    def audience(self) -> frozenset[str]:
        return self.partners | {self.owner}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party, body.get("owner"))

    def body(self) -> dict[str, Any]:
        return {"area_id": self.area_id, "owner": self.owner}


@dataclass(frozen=True, slots=True)
class HazardAdded(Fact):
    """A third-party hazard, told to every member of its agreement."""

    entry_type: ClassVar[str] = "hazard.added"
    body_fields: ClassVar[frozenset[str]] = frozenset(
        {"hazard_id", "agreement_id", "name", "volume"}
    )
    hazard: Hazard
    members: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.hazard.entered_by

    @property
    def audience(self) -> frozenset[str]:
        return self.members | {self.hazard.entered_by}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party)

    def body(self) -> dict[str, Any]:
        h = self.hazard
        return {
            "hazard_id": h.id,
            "agreement_id": h.agreement_id,
            "name": h.name,
            "volume": volume_to_geojson(h.volume),
        }


@dataclass(frozen=True, slots=True)
class HazardRemoved(Fact):
    entry_type: ClassVar[str] = "hazard.removed"
    body_fields: ClassVar[frozenset[str]] = frozenset({"hazard_id", "agreement_id"})
    hazard_id: str
    agreement_id: str
    by: str
    members: frozenset[str]

    @property
    def actor(self) -> str | None:
        return self.by

    @property
    def audience(self) -> frozenset[str]:
        return self.members | {self.by}

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        return named(party)

    def body(self) -> dict[str, Any]:
        return {"hazard_id": self.hazard_id, "agreement_id": self.agreement_id}
