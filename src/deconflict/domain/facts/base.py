"""What every recorded fact is: a log entry's type and body, the events it raises and who
hears them; and the small readers the fact modules share.

Log bodies write times as the log does (`stamp`, `times.format_time`); event data keeps the ISO
form the API has always served (`times.format_iso`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from deconflict.domain.events import EventKind
from deconflict.times import format_time

__all__ = [
    "EventDraft",
    "Fact",
    "NoticeFact",
    "filed_under_notice",
    "members_of",
    "named",
    "parties_of",
    "stamp",
]


def stamp(when: datetime | None) -> str | None:
    return None if when is None else format_time(when)


def named(*values: object) -> frozenset[str]:
    """The party ids among `values` (a recorded body may hold null where a party was absent)."""
    return frozenset(v for v in values if isinstance(v, str))


def members_of(body: Mapping[str, Any]) -> frozenset[str]:
    terms = body.get("terms")
    members = terms.get("members") if isinstance(terms, Mapping) else None
    return named(*members) if isinstance(members, list) else frozenset()


def filed_under_notice(body: Mapping[str, Any]) -> tuple[str | None, int | None]:
    notice_id, version = body.get("notice_id"), body.get("version")
    return (
        notice_id if isinstance(notice_id, str) else None,
        version if isinstance(version, int) and not isinstance(version, bool) else None,
    )


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event a fact raises, before the transaction gives it an id and a time."""

    kind: EventKind
    agreement_id: str
    notice_id: str | None = None
    version: int | None = None
    party: str | None = None
    due_at: datetime | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


class Fact:
    """What every recorded fact answers; subclasses are frozen dataclasses."""

    __slots__ = ()
    entry_type: ClassVar[str]
    body_fields: ClassVar[frozenset[str]]
    """Every field `body()` writes, each always present (its value may be null): a verifier
    refuses an entry of this type with any other field, or without one of these."""
    body_times: ClassVar[frozenset[str]] = frozenset()
    """The fields of `body_fields` that hold a log time (`format_time`), or null."""

    @property
    def actor(self) -> str | None:
        """The party whose act this is (the log entry's `party`), None for the service's own."""
        return None

    @property
    def audience(self) -> frozenset[str]:
        """The parties who may read the entry and hear its events."""
        raise NotImplementedError

    @property
    def filed_under(self) -> tuple[str | None, int | None]:
        """The notice id and version the entry is indexed under."""
        return None, None

    @classmethod
    def filed_under_body(cls, body: Mapping[str, Any]) -> tuple[str | None, int | None]:
        """`filed_under`, read back from a recorded body."""
        return None, None

    @classmethod
    def named_readers(cls, party: str | None, body: Mapping[str, Any]) -> frozenset[str]:
        """The part of `audience` a recorded entry names itself, by its `party` and body; the
        rest (a notice's originator and recipients, an agreement's members) is named by other
        entries."""
        raise NotImplementedError

    @property
    def cites(self) -> tuple[str, int] | None:
        """The notice version whose `notice.version` entry this one refers to, if any."""
        return None

    @property
    def grantee(self) -> str | None:
        """A party that may read the cited entry from now on (it was disclosed to it)."""
        return None

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    def events(self) -> tuple[EventDraft, ...]:
        return ()


def parties_of(*parties: str | None) -> frozenset[str]:
    return frozenset(p for p in parties if p is not None)


@dataclass(frozen=True, slots=True)
class NoticeFact(Fact):
    """A fact about one version of a notice: filed under it, citing its `notice.version` entry,
    and heard by its originator among others."""

    notice_id: str
    version: int
    agreement_id: str
    originator: str

    @property
    def filed_under(self) -> tuple[str | None, int | None]:
        return self.notice_id, self.version

    @property
    def cites(self) -> tuple[str, int] | None:
        return self.notice_id, self.version

    def _event(
        self,
        kind: EventKind,
        data: Mapping[str, Any],
        *,
        party: str | None = None,
        due_at: datetime | None = None,
    ) -> EventDraft:
        return EventDraft(
            kind, self.agreement_id, self.notice_id, self.version, party, due_at, data
        )
