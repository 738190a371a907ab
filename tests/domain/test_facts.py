"""Each recorded fact states its log body, its events and its audience in one place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.domain import (
    Acknowledgement,
    AckState,
    AgreementTerms,
    AircraftDeclaration,
    ConflictReport,
    Disclosure,
    EventKind,
    Hazard,
    KeyPurpose,
    NoticeKind,
    ProtectedArea,
    StoredVersion,
)
from deconflict.domain import facts as facts_module
from deconflict.domain.alerts import AlertKind, AlertRecord, AlertState
from deconflict.domain.facts import (
    FACTS,
    Acknowledged,
    AgreementVersioned,
    AircraftDeclared,
    AlertCleared,
    AlertRaised,
    AlertUpdated,
    AreaAdded,
    AreaRemoved,
    ConflictFound,
    Disclosed,
    Escalated,
    Expired,
    Fact,
    HazardAdded,
    HazardRemoved,
    KeyAdded,
    LogKeyRotated,
    PartyAdded,
    Published,
    TokenRevoked,
    TokenRotated,
    TrackHistoryCommitted,
)
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.times import parse_time
from deconflict.tracks import TrackKey

T = datetime(2030, 6, 1, 9, 0, 0, 250_000, tzinfo=UTC)
STAMP = "2030-06-01T09:00:00.250000Z"


def disclosure(short: bool) -> Disclosure:
    return Disclosure(
        "b", T, None, 60.0, short, T + timedelta(seconds=900), AckState.PENDING, 0, None, "member"
    )


VOLUME = Volume(
    Circle(35.0, 33.0, 500.0), AltitudeBand(0.0, 100.0), TimeWindow(T, T + timedelta(hours=1))
)
REPORT = ConflictReport(0, "notice", "n2", 1, 0, "b", T, T, None, 0.0, 1.5, None)
HAZARD_REPORT = ConflictReport(0, "hazard", "hz1", None, 0, None, T, T, None, 0.0, 0.0, None)
VERSION = StoredVersion("n1", 2, NoticeKind.AMENDMENT, 1, "x", (), T, T, T, None)
AIRCRAFT = AircraftDeclaration("a", ((0x3C0000, 0x3C00FF),), ("NRT",))


def _alert(state: AlertState) -> AlertRecord:
    """A tactical alert between a's and b's aircraft; cleared ones say when and why."""
    cleared = state is AlertState.CLEARED
    return AlertRecord(
        id="alr_0123456789abcdef0123",
        kind=AlertKind.TACTICAL,
        tier="warning",
        state=state,
        reason="cleared" if cleared else None,
        tracks=(TrackKey("a", "a1"), TrackKey("b", "b1")),
        parties=frozenset({"a", "b"}),
        agreement_ids=("agr",),
        raised_at=T,
        reported_at=T,
        cleared_at=T if cleared else None,
        tcpa_s=42.0,
        dcpa_m=120.5,
        separation_m=9000.0,
        states=({"party": "a", "id": "a1", "time": "2026-06-01T08:00:00Z", "lat": 1.0},),
    )


# Every fact type, and the part of its audience that its own entry does not name (other
# entries do: the notice's originator and recipients, the agreement's members or partners).
READ_BACK: list[tuple[Fact, set[str]]] = [
    (Published("agr", "a", VERSION), set()),
    (
        Disclosed(
            notice_id="n1",
            version=2,
            kind=NoticeKind.AMENDMENT,
            agreement_id="agr",
            originator="a",
            disclosure=disclosure(False),
            min_lead_time_s=60.0,
        ),
        {"a"},
    ),
    (ConflictFound("n1", 2, "agr", "a", REPORT, T), {"a"}),
    (ConflictFound("n1", 2, "agr", "a", HAZARD_REPORT, T), {"a"}),
    (Acknowledged("agr", "a", Acknowledgement("n1", 2, "b", T, T, "", False, None), T, T), {"a"}),
    (Escalated("n1", 2, "agr", "a", "b", 1, T, T, T), {"a"}),
    (Expired("n1", 2, "agr", "a", ("b", "c"), T), {"a", "b", "c"}),
    (PartyAdded("a", "Alpha"), set()),
    (KeyAdded("a", KeyPurpose.COSIGN, "k", None), set()),
    (AgreementVersioned("agr", 3, AgreementTerms("t", ("a", "b"))), set()),
    (AircraftDeclared(AIRCRAFT, frozenset({"b"}), "a"), {"b"}),
    (AircraftDeclared(AIRCRAFT, frozenset({"a", "b"}), None), {"b"}),
    (AreaAdded(ProtectedArea("pa1", "a", "base", VOLUME, T), frozenset({"b"})), {"b"}),
    (AreaRemoved("pa1", "a", frozenset({"b"})), {"b"}),
    (HazardAdded(Hazard("hz1", "agr", "a", "sam", VOLUME, T), frozenset({"b"})), {"b"}),
    (HazardRemoved("hz1", "agr", "a", frozenset({"a", "b"})), {"b"}),
    (TokenRotated("a", "a"), set()),
    (TokenRotated(None, None), set()),
    (TokenRevoked("b"), set()),
    (LogKeyRotated("log+1+old", "log+2+new", "c2ln", frozenset({"a", "b"})), {"a", "b"}),
    (TrackHistoryCommitted(T, T, 3, "ab" * 32, frozenset({"a"})), {"a"}),
    (AlertRaised(_alert(AlertState.ACTIVE)), set()),
    (AlertUpdated(_alert(AlertState.ACTIVE)), set()),
    (AlertCleared(_alert(AlertState.CLEARED)), set()),
]


def _fact_classes(base: type[Fact] = Fact) -> Iterator[str]:
    """The names of every fact class with an entry type of its own, at any depth (a slotted
    dataclass replaces its class, and the first one may linger: hence names)."""
    for cls in base.__subclasses__():
        if "entry_type" in vars(cls):
            yield cls.__name__
        yield from _fact_classes(cls)


def test_read_back_covers_every_fact_type() -> None:
    assert sorted(FACTS) == sorted({type(fact).entry_type for fact, _ in READ_BACK})
    assert {cls.__name__ for cls in FACTS.values()} == set(_fact_classes())
    assert all(FACTS[cls.entry_type] is cls for cls in FACTS.values())


@pytest.mark.parametrize(("fact", "elsewhere"), READ_BACK, ids=lambda v: type(v).__name__)
def test_a_recorded_body_reads_back_as_its_fact_filed_it_and_names_its_readers(
    fact: Fact, elsewhere: set[str]
) -> None:
    """What `log verify` derives from a stored entry is what the fact said when it was recorded."""
    body = json.loads(json.dumps(fact.body()))
    cls = FACTS[fact.entry_type]
    assert cls.filed_under_body(body) == fact.filed_under
    assert cls.named_readers(fact.actor, body) == fact.audience - elsewhere


def test_published_is_the_originators_and_cites_the_version_before() -> None:
    stored = StoredVersion("n1", 2, NoticeKind.AMENDMENT, 1, "exercise", ({"f": 1},), T, T, T, None)
    fact = Published("agr", "a", stored)
    assert (fact.entry_type, fact.actor, fact.audience) == ("notice.version", "a", {"a"})
    assert fact.cites == ("n1", 1)
    assert fact.filed_under == ("n1", 2)
    assert fact.body() == {
        "notice_id": "n1",
        "version": 2,
        "kind": "amendment",
        "agreement_id": "agr",
        "agreement_version": 1,
        "purpose": "exercise",
        "volumes": [{"f": 1}],
        "time_start": STAMP,
        "time_end": STAMP,
    }
    assert fact.events() == ()
    first = Published(
        "agr", "a", StoredVersion("n1", 1, NoticeKind.SUBMISSION, 1, "", (), T, T, T, None)
    )
    assert first.cites is None


def test_disclosed_grants_the_notice_entry_and_raises_short_notice_only_when_short() -> None:
    fact = Disclosed("n1", 1, "agr", "a", NoticeKind.SUBMISSION, disclosure(False), 3600.0)
    assert (fact.entry_type, fact.actor, fact.audience) == ("disclosure", None, {"a", "b"})
    assert (fact.cites, fact.grantee) == (("n1", 1), "b")
    assert fact.body()["disclosed_at"] == STAMP
    assert fact.body()["min_lead_time_s"] == 3600.0
    assert [e.kind for e in fact.events()] == [EventKind.DISCLOSED]
    (event,) = fact.events()
    assert (event.party, event.notice_id, event.version, event.agreement_id) == (
        "b",
        "n1",
        1,
        "agr",
    )
    assert event.data == {"reason": "member", "kind": "submission", "lead_time_s": 60.0}
    short = Disclosed("n1", 1, "agr", "a", NoticeKind.SUBMISSION, disclosure(True), 3600.0)
    assert [e.kind for e in short.events()] == [EventKind.DISCLOSED, EventKind.SHORT_NOTICE]
    assert short.events()[1].data == {"lead_time_s": 60.0, "min_lead_time_s": 3600.0}


def test_conflict_found_reaches_both_sides_and_hazards_reach_the_originator_alone() -> None:
    report = ConflictReport(0, "notice", "n2", 1, 0, "b", T, T, (100.0, 200.0), 0.0, 1.5, None)
    fact = ConflictFound("n1", 1, "agr", "a", report, T)
    assert fact.audience == {"a", "b"}
    body = fact.body()
    assert (body["altitude_overlap_lower_m"], body["altitude_overlap_upper_m"]) == (100.0, 200.0)
    assert (body["overlap_start"], body["detected_at"]) == (STAMP, STAMP)
    (event,) = fact.events()
    assert event.kind is EventKind.CONFLICT
    assert event.party == "b"
    assert event.data["overlap_start"] == T.isoformat()
    hazard = ConflictReport(0, "hazard", "hz1", None, 0, None, T, T, None, 0.0, 0.0, None)
    assert ConflictFound("n1", 1, "agr", "a", hazard, T).audience == {"a"}


def test_acknowledged_is_the_recipients_act() -> None:
    ack = Acknowledgement("n1", 1, "b", T, T, "noted", True, None)
    fact = Acknowledged("agr", "a", ack, None, T)
    assert (fact.entry_type, fact.actor, fact.audience) == ("ack", "b", {"a", "b"})
    assert fact.body()["party_received_at"] is None
    assert fact.body()["late"] is True
    (event,) = fact.events()
    assert (event.kind, event.party, event.data) == (
        EventKind.ACKNOWLEDGED,
        "b",
        {"late": True, "ack_due_at": T.isoformat()},
    )


def test_escalated_and_expired() -> None:
    escalated = Escalated("n1", 1, "agr", "a", "b", 2, T, T, T)
    assert escalated.audience == {"a", "b"}
    assert escalated.body()["tier"] == 2
    (event,) = escalated.events()
    assert (event.kind, event.due_at, event.data["tier"]) == (EventKind.ESCALATION, T, 2)
    expired = Expired("n1", 1, "agr", "a", ("b", "c"), T)
    assert expired.audience == {"a", "b", "c"}
    assert expired.cites is None
    assert expired.body() == {"notice_id": "n1", "version": 1, "time_end": STAMP}
    (event,) = expired.events()
    assert (event.kind, event.party, event.due_at) == (EventKind.EXPIRED, None, T)


def test_set_up_facts_raise_no_events() -> None:
    terms = AgreementTerms("t", ("a", "b"))
    for fact, audience in [
        (PartyAdded("a", "Alpha"), {"a"}),
        (KeyAdded("a", KeyPurpose.ACK, "k", None), {"a"}),
        (AgreementVersioned("agr", 1, terms), {"a", "b"}),
    ]:
        assert fact.audience == audience
        assert fact.events() == ()
        assert fact.filed_under == (None, None)
    assert KeyAdded("a", KeyPurpose.COSIGN, "k", "a").body() == {
        "party_id": "a",
        "purpose": "cosign",
        "key": "k",
    }


def test_token_facts_name_whose_token_changed_and_hold_no_token() -> None:
    by_party = TokenRotated("a", "a")
    assert (by_party.entry_type, by_party.actor, by_party.audience) == ("token.rotated", "a", {"a"})
    assert by_party.body() == {"party_id": "a"}
    by_admin = TokenRotated("a", None)
    assert (by_admin.actor, by_admin.audience) == (None, {"a"})
    admins = TokenRotated(None, None)
    assert (admins.audience, admins.body()) == (frozenset(), {"party_id": None})
    revoked = TokenRevoked("b")
    assert (revoked.entry_type, revoked.actor, revoked.audience) == ("token.revoked", None, {"b"})
    assert revoked.body() == {"party_id": "b"}
    for fact in (by_party, admins, revoked):
        assert (fact.events(), fact.filed_under, fact.cites) == ((), (None, None), None)


def _samples() -> list[Fact]:
    """One fact of every type, with the optional values both present and absent."""
    stored = StoredVersion("n1", 2, NoticeKind.AMENDMENT, 1, "x", ({"f": 1},), T, T, T, None)
    report = ConflictReport(0, "notice", "n2", 1, 0, "b", T, T, (1.0, 2.0), 0.0, 1.5, {"a": 1})
    hazard = ConflictReport(0, "hazard", "hz1", None, 0, None, T, T, None, 0.0, 0.0, None)
    volume = Volume(
        Circle(35.0, 33.0, 500.0), AltitudeBand(0.0, 100.0), TimeWindow(T, T + timedelta(hours=1))
    )
    return [
        Published("agr", "a", stored),
        Disclosed("n1", 1, "agr", "a", NoticeKind.SUBMISSION, disclosure(False), 3600.0),
        ConflictFound("n1", 1, "agr", "a", report, T),
        ConflictFound("n1", 1, "agr", "a", hazard, T),
        Acknowledged("agr", "a", Acknowledgement("n1", 1, "b", T, T, "ok", False, "c2ln"), T, T),
        Acknowledged("agr", "a", Acknowledgement("n1", 1, "b", T, T, "ok", True, None), None, T),
        Escalated("n1", 1, "agr", "a", "b", 2, T, T, T),
        Expired("n1", 1, "agr", "a", ("b",), T),
        PartyAdded("a", "Alpha"),
        KeyAdded("a", KeyPurpose.ACK, "k", None),
        AgreementVersioned("agr", 1, AgreementTerms("t", ("a", "b"))),
        AircraftDeclared(AIRCRAFT, frozenset({"b"}), None),
        AircraftDeclared(AircraftDeclaration("a"), frozenset(), "a"),
        AreaAdded(ProtectedArea("pa1", "a", "base", volume, T), frozenset({"b"})),
        AreaRemoved("pa1", "a", frozenset({"b"})),
        HazardAdded(Hazard("hz1", "agr", "a", "crane", volume, T), frozenset({"b"})),
        HazardRemoved("hz1", "agr", "a", frozenset({"b"})),
        LogKeyRotated("log+1+old", "log+2+new", "c2ln", frozenset({"a", "b"})),
        TokenRotated("a", None),
        TokenRotated(None, None),
        TokenRevoked("a"),
        TrackHistoryCommitted(T, T + timedelta(minutes=1), 0, "00" * 32, frozenset()),
        AlertRaised(_alert(AlertState.ACTIVE)),
        AlertUpdated(_alert(AlertState.ACTIVE)),
        AlertCleared(_alert(AlertState.CLEARED)),
    ]


def _fact_types() -> set[type[Fact]]:
    return {
        value
        for value in vars(facts_module).values()
        if isinstance(value, type) and issubclass(value, Fact) and "entry_type" in vars(value)
    }


def test_the_samples_cover_every_recorded_fact_type() -> None:
    assert {type(f) for f in _samples()} == _fact_types()
    assert len(_fact_types()) == 21


@pytest.mark.parametrize("fact", _samples(), ids=lambda f: type(f).__name__)
def test_each_body_holds_exactly_its_declared_fields_with_times_as_the_log_writes_them(
    fact: Fact,
) -> None:
    """`body_fields` is what a verifier holds an entry to, so it must be what `body()` writes."""
    body = fact.body()
    assert set(body) == fact.body_fields
    assert fact.body_times <= fact.body_fields
    timed = {k for k, v in body.items() if isinstance(v, str) and _is_log_time(v)}
    assert timed <= fact.body_times
    assert all(body[k] is None or k in timed for k in fact.body_times)


def _is_log_time(text: str) -> bool:
    try:
        parse_time(text)
    except ValueError:
        return False
    return True


def test_a_log_key_rotation_is_heard_by_every_party_and_states_both_keys() -> None:
    fact = LogKeyRotated("log+1+old", "log+2+new", "c2ln", frozenset({"a", "b"}))
    assert (fact.entry_type, fact.actor, fact.audience) == ("log.key", None, {"a", "b"})
    assert fact.body() == {"old_key": "log+1+old", "new_key": "log+2+new", "signature": "c2ln"}
    assert (fact.cites, fact.events()) == (None, ())


def test_an_aircraft_declaration_is_told_to_the_party_and_its_partners() -> None:
    fact = AircraftDeclared(AIRCRAFT, frozenset({"b"}), None)
    assert (fact.entry_type, fact.actor, fact.audience) == ("party.aircraft", None, {"a", "b"})
    assert fact.body() == {
        "party_id": "a",
        "icao24_ranges": [["3c0000", "3c00ff"]],
        "callsign_prefixes": ["NRT"],
    }
    assert (fact.events(), fact.filed_under, fact.cites) == ((), (None, None), None)


def test_a_minute_of_track_history_names_no_reader() -> None:
    fact = TrackHistoryCommitted(T, T + timedelta(minutes=1), 3, "ab" * 32, frozenset({"a", "b"}))
    assert (fact.entry_type, fact.actor, fact.audience) == ("track.history", None, {"a", "b"})
    assert fact.body() == {
        "minute_start": STAMP,
        "minute_end": "2030-06-01T09:01:00.250000Z",
        "count": 3,
        "commitment": "ab" * 32,
    }
    assert fact.named_readers(None, fact.body()) == frozenset()
