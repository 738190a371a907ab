"""Evidence about one notice: offline proof bundles (the document, writing, reading it strictly
and verifying it, the log keys that signed it) and the timeline a verified bundle proves, as
data. Built on `deconflict.log`; pure: no database, no network, no clock."""

from deconflict.evidence.errors import BundleError
from deconflict.evidence.format import (
    BUNDLE_FORMAT,
    NOTICE_ENTRY_TYPES,
    Bracket,
    CosignedCheckpoint,
    ProvenEntry,
    load_bundle,
    make_bundle,
)
from deconflict.evidence.keys import KeyChange, LogKeys
from deconflict.evidence.timeline import (
    AckShown,
    ConflictShown,
    DisclosureShown,
    EscalationShown,
    ExpiryShown,
    Shown,
    Timeline,
    TimelineEvent,
    VerifiedEntry,
    VersionShown,
    WarningTime,
    Witnessed,
)
from deconflict.evidence.verify import verify_bundle

__all__ = [
    "BUNDLE_FORMAT",
    "NOTICE_ENTRY_TYPES",
    "AckShown",
    "Bracket",
    "BundleError",
    "ConflictShown",
    "CosignedCheckpoint",
    "DisclosureShown",
    "EscalationShown",
    "ExpiryShown",
    "KeyChange",
    "LogKeys",
    "ProvenEntry",
    "Shown",
    "Timeline",
    "TimelineEvent",
    "VerifiedEntry",
    "VersionShown",
    "WarningTime",
    "Witnessed",
    "load_bundle",
    "make_bundle",
    "verify_bundle",
]
