"""The nouns of a deconfliction mechanism: parties, agreements, notices and what happens to them.

Plain frozen values. The service creates and stores them; the outer layers render them.
`deconflict.domain.facts` holds what the mechanism records, and `deconflict.domain.rules` the
rules a notice follows.
"""

from deconflict.domain.agreements import (
    Agreement,
    AgreementTerms,
    DisclosureRule,
    Hazard,
    ProtectedArea,
    TrackSharing,
)
from deconflict.domain.aircraft import AircraftDeclaration, AircraftOwners
from deconflict.domain.events import Event, EventKind, Page
from deconflict.domain.notices import (
    Acknowledgement,
    AckState,
    ConflictReport,
    Disclosure,
    Notice,
    NoticeKind,
    NoticeState,
    StoredNotice,
    StoredVersion,
)
from deconflict.domain.parties import KeyPurpose, Party, PublicKey

__all__ = [
    "AckState",
    "Acknowledgement",
    "Agreement",
    "AgreementTerms",
    "AircraftDeclaration",
    "AircraftOwners",
    "ConflictReport",
    "Disclosure",
    "DisclosureRule",
    "Event",
    "EventKind",
    "Hazard",
    "KeyPurpose",
    "Notice",
    "NoticeKind",
    "NoticeState",
    "Page",
    "Party",
    "ProtectedArea",
    "PublicKey",
    "StoredNotice",
    "StoredVersion",
    "TrackSharing",
]
