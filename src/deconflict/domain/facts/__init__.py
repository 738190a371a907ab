"""The facts the mechanism records: each one a log entry, the events it raises and who hears.

A use case states what happened as one of these values; the service's transaction turns it
into the Merkle log entry, the events and the audience rows, so each fact is spelled once.
Log bodies write times as the log does (`times.format_time`); event data keeps the ISO form
the API has always served (`times.format_iso`). Each fact declares the fields its body holds
(`body_fields`, and which are times: `body_times`) beside the `body()` that writes them, so a
verifier reading an entry knows exactly what it may hold.

`base` holds what every fact is; `notices` a notice's life, `setup` the mechanism's set-up
(parties, keys, agreements, areas), `tracks` the live picture's record, `alerts` its
alerts' transitions. `FACTS` maps each log
entry type to its class.
"""

from __future__ import annotations

from collections.abc import Mapping

from deconflict.domain.facts.alerts import AlertCleared, AlertFact, AlertRaised, AlertUpdated
from deconflict.domain.facts.base import EventDraft, Fact, NoticeFact
from deconflict.domain.facts.notices import (
    Acknowledged,
    ConflictFound,
    Disclosed,
    Escalated,
    Expired,
    Published,
)
from deconflict.domain.facts.setup import (
    AgreementVersioned,
    AircraftDeclared,
    AreaAdded,
    AreaRemoved,
    HazardAdded,
    HazardRemoved,
    KeyAdded,
    LogKeyRotated,
    PartyAdded,
    TokenRevoked,
    TokenRotated,
)
from deconflict.domain.facts.tracks import TrackHistoryCommitted

__all__ = [
    "FACTS",
    "Acknowledged",
    "AgreementVersioned",
    "AircraftDeclared",
    "AlertCleared",
    "AlertFact",
    "AlertRaised",
    "AlertUpdated",
    "AreaAdded",
    "AreaRemoved",
    "ConflictFound",
    "Disclosed",
    "Escalated",
    "EventDraft",
    "Expired",
    "Fact",
    "HazardAdded",
    "HazardRemoved",
    "KeyAdded",
    "LogKeyRotated",
    "NoticeFact",
    "PartyAdded",
    "Published",
    "TokenRevoked",
    "TokenRotated",
    "TrackHistoryCommitted",
]


FACTS: Mapping[str, type[Fact]] = {
    cls.entry_type: cls
    for cls in (
        Published,
        Disclosed,
        ConflictFound,
        Acknowledged,
        Escalated,
        Expired,
        PartyAdded,
        KeyAdded,
        AircraftDeclared,
        AgreementVersioned,
        AreaAdded,
        AreaRemoved,
        HazardAdded,
        HazardRemoved,
        TokenRotated,
        TokenRevoked,
        LogKeyRotated,
        TrackHistoryCommitted,
        AlertRaised,
        AlertUpdated,
        AlertCleared,
    )
}
"""The fact class of each log entry type. What a recorded entry says about its own index
columns and readers is read back by its class (`filed_under_body`, `named_readers`), so
`log verify` checks the stored columns against the rule that wrote them."""
