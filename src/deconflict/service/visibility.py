"""Who may see what: the one place the service decides it, for every route, stream and read.

A party sees its own notices and the versions disclosed to it; the agreements it is a member
of; its partners' protected areas and aircraft declarations (the parties it shares an
agreement with); the hazards of its agreements; the events whose audience holds it; the log
entries that concern it (every minute of track history among them); its own live tracks,
unattributed traffic, and the tracks of the members of its agreements whose terms share
tracks with all members. Anything
else is NotFound, worded exactly as for a thing that does not exist, so an answer reveals
nothing about what others hold. The admin sets the mechanism up and sees all of it, but takes
no part: the daily work (notices, acknowledgements, cosignatures) belongs to a party.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deconflict.domain import (
    Acknowledgement,
    ConflictReport,
    Disclosure,
    StoredNotice,
    TrackSharing,
)
from deconflict.errors import Forbidden, InvalidInput, NotFound
from deconflict.limits import is_id
from deconflict.storage.repositories import Repositories
from deconflict.tracks import TrackKey

__all__ = [
    "ADMIN",
    "Caller",
    "NoticeView",
    "TrackAudience",
    "area_owners",
    "audience_of",
    "hazard_agreements",
    "hidden_notice",
    "history_readers",
    "known_parties",
    "may_manage_party",
    "notice_view",
    "notices_in_role",
    "read_agreement",
    "require_admin",
    "require_party",
    "stored_notice",
    "track_audience",
]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a party, or the admin (party_id None) who sets the mechanism up."""

    party_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.party_id is None


ADMIN = Caller(None)


def require_party(caller: Caller) -> str:
    if caller.party_id is None:
        raise Forbidden("this action belongs to a party; the admin token only sets things up")
    return caller.party_id


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("only the admin may do this")


def may_manage_party(caller: Caller, party_id: str) -> bool:
    """The admin, or the party itself (registering its own keys)."""
    return caller.is_admin or caller.party_id == party_id


def hidden_notice(notice_id: str, version: int | None = None) -> NotFound:
    """The answer for a notice that does not exist and for one the caller may not see."""
    return NotFound(
        f"notice {notice_id!r} not found"
        if version is None
        else f"notice {notice_id!r} version {version} not found"
    )


@dataclass(frozen=True, slots=True)
class NoticeView:
    """What one party may see of one notice."""

    notice: StoredNotice
    viewer: str
    originator: bool
    versions: Sequence[int]
    """The versions it may read, in order; the last is its latest."""

    @property
    def latest(self) -> int:
        return self.versions[-1]

    def acknowledgements(self, found: Sequence[Acknowledgement]) -> list[Acknowledgement]:
        """The originator sees every acknowledgement; a recipient its own."""
        return [a for a in found if self.originator or a.party == self.viewer]

    def disclosures(self, found: Sequence[Disclosure]) -> tuple[Disclosure, ...]:
        """The originator sees every disclosure; a recipient its own."""
        return tuple(d for d in found if self.originator or d.party == self.viewer)

    def conflicts(self, found: Sequence[ConflictReport]) -> tuple[ConflictReport, ...]:
        """The originator sees every conflict; a recipient those with its own volumes and with
        hazards (which every member sees)."""
        return tuple(
            c
            for c in found
            if self.originator or c.other_party == self.viewer or c.other_kind == "hazard"
        )


def stored_notice(
    repos: Repositories, notice_id: str, *, lock: bool = False
) -> StoredNotice | None:
    """The notice, or None; an id of another form names no notice and is never looked up
    (PostgreSQL refuses text holding NUL, SQLite would just find nothing)."""
    return repos.notices.get(notice_id, lock=lock) if is_id(notice_id) else None


def notice_view(
    repos: Repositories,
    notice: StoredNotice | None,
    party: str,
    notice_id: str,
    version: int | None = None,
) -> NoticeView:
    """The party's view of the notice (holding `version`, if one is asked for), or the
    NotFound that hides it."""
    if notice is None:
        raise hidden_notice(notice_id, version)
    if notice.originator == party:
        view = NoticeView(notice, party, True, range(1, notice.latest_version + 1))
    else:
        view = NoticeView(notice, party, False, repos.disclosures.versions_for(notice.id, party))
    if not view.versions or (version is not None and version not in view.versions):
        raise hidden_notice(notice_id, version)
    return view


def notices_in_role(role: str | None) -> tuple[bool, bool]:
    """(own, received) for a list of notices by role: originator, recipient, or both."""
    if role == "originator":
        return True, False
    if role == "recipient":
        return False, True
    if role is None:
        return True, True
    raise InvalidInput.at("/role", "must be originator or recipient")


def known_parties(repos: Repositories, caller: Caller) -> set[str] | None:
    """Which parties the caller may know of: itself and those it shares an agreement with
    (None: all of them, for the admin). A party it shares nothing with is not its business."""
    return None if caller.party_id is None else repos.agreements.partners(caller.party_id)


def read_agreement(repos: Repositories, caller: Caller, agreement_id: str) -> bool:
    """Members and the admin read an agreement (one whose id is of the one form)."""
    if not is_id(agreement_id):
        return False
    return caller.is_admin or caller.party_id in repos.agreements.members(agreement_id)


def area_owners(repos: Repositories, caller: Caller) -> set[str] | None:
    """Whose protected areas the caller sees: its partners' (None: everyone's, for the admin)."""
    return None if caller.party_id is None else repos.agreements.partners(caller.party_id)


def hazard_agreements(repos: Repositories, caller: Caller) -> list[str] | None:
    """Whose hazards the caller sees: its agreements' (None: all, for the admin)."""
    return None if caller.party_id is None else repos.agreements.of_member(caller.party_id)


def audience_of(caller: Caller) -> str | None:
    """Whose events and log entries the caller reads: its own (None: all, for the admin)."""
    return caller.party_id


@dataclass(frozen=True, slots=True)
class TrackAudience:
    """Whose live tracks a caller sees: unattributed traffic always, and attributed tracks of
    `owners` (None: every owner's, for the admin)."""

    owners: frozenset[str] | None

    def admits(self, key: TrackKey) -> bool:
        return key.party is None or self.owners is None or key.party in self.owners


def track_audience(repos: Repositories, caller: Caller) -> TrackAudience:
    """A party sees its own tracks, and those of every member of an agreement it belongs to
    whose current terms share tracks with all members (`alerts_only` shares none yet: the
    alerts that will share them come next)."""
    party = caller.party_id
    if party is None:
        return TrackAudience(None)
    owners = {party}
    for agreement_id in repos.agreements.of_member(party):
        agreement = repos.agreements.get(agreement_id)
        if agreement is not None and agreement.terms.track_sharing is TrackSharing.ALL_MEMBERS:
            owners.update(agreement.terms.members)
    return TrackAudience(frozenset(owners))


def history_readers(repos: Repositories) -> frozenset[str]:
    """Who may read the log entry committing to a minute of track history: every party. The
    entry holds a count and a hash, no track and no owner, so it tells a party nothing of
    another's tracks (only how many states all of them had that minute, unattributed traffic
    included), while every party can hold the record to each minute. Naming the owners, so
    that only they read it, would tell each owner who else flew."""
    return frozenset(repos.parties.ids())
