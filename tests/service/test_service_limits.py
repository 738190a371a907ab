"""The declared limits in the service itself, for every caller (the API, the command line, a
script): each refused value is an `InvalidInput` at its field, or a `NotFound` worded as for an
unknown id, on SQLite and PostgreSQL alike, and nothing is stored.

PostgreSQL refused text holding NUL with a driver error (a 500 at the API) where SQLite stored
it; both now refuse every control character but tab and newline before the database sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest

from deconflict.domain import AgreementTerms
from deconflict.errors import InvalidInput, NotFound, Unavailable
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.service import ADMIN, Caller, Service

ALPHA, BRAVO = Caller("alpha"), Caller("bravo")


def _volume(service: Service) -> Volume:
    start = service.clock.now() + timedelta(hours=2)
    return Volume(
        Circle(30.0, 10.0, 5_000.0),
        AltitudeBand(1_000.0, 3_000.0),
        TimeWindow(start, start + timedelta(hours=1)),
    )


@pytest.fixture
def world(service: Service) -> dict[str, str]:
    """Parties alpha and bravo, agreement ab, a notice by bravo disclosed to alpha and one by
    alpha; their ids."""
    for party in ("alpha", "bravo"):
        service.add_party(ADMIN, party.title(), party_id=party)
    service.add_agreement(ADMIN, AgreementTerms("A-B", ("alpha", "bravo")), agreement_id="ab")
    own = service.submit_notice(ALPHA, "ab", [_volume(service)], "own")
    disclosed = service.submit_notice(BRAVO, "ab", [_volume(service)], "disclosed")
    return {"own": own.id, "disclosed": disclosed.id}


BAD_TEXT = ["\x00", "nul\x00inside", "escape\x1b[2J", "carriage\rreturn", "c1\x85control"]

TEXT_USES: dict[str, tuple[Callable[[Service, dict[str, str], str], Any], str]] = {
    "purpose": (
        lambda s, w, v: s.submit_notice(ALPHA, "ab", [_volume(s)], v),
        "/purpose",
    ),
    "amended purpose": (
        lambda s, w, v: s.amend_notice(ALPHA, w["own"], [_volume(s)], v),
        "/purpose",
    ),
    "cancellation reason": (lambda s, w, v: s.cancel_notice(ALPHA, w["own"], v), "/reason"),
    "acknowledgement text": (
        lambda s, w, v: s.acknowledge(ALPHA, w["disclosed"], 1, v),
        "/text",
    ),
    "area name": (lambda s, w, v: s.add_protected_area(ALPHA, v, _volume(s)), "/name"),
    "hazard name": (lambda s, w, v: s.add_hazard(ALPHA, "ab", v, _volume(s)), "/name"),
    "party name": (lambda s, w, v: s.add_party(ADMIN, v), "/name"),
    "agreement name": (
        lambda s, w, v: s.add_agreement(ADMIN, AgreementTerms(v, ("alpha", "bravo"))),
        "/name",
    ),
}


def _stored(service: Service) -> tuple[Any, ...]:
    """What a refused call must leave as it was."""
    return (
        service.log_size(),
        [(n.id, n.latest_version) for n in service.list_notices(ALPHA).items],
        service.list_acknowledgements(ALPHA, service.list_notices(ALPHA).items[-1].id),
        service.list_protected_areas(ALPHA),
        service.list_hazards(ALPHA),
        [p.id for p in service.list_parties(ADMIN)],
        [a.id for a in service.list_agreements(ADMIN)],
    )


@pytest.mark.parametrize("use", sorted(TEXT_USES))
def test_text_with_a_control_character_is_refused_at_its_field(
    service: Service, world: dict[str, str], use: str
) -> None:
    call, pointer = TEXT_USES[use]
    before = _stored(service)
    for value in BAD_TEXT:
        with pytest.raises(InvalidInput) as refused:
            call(service, world, value)
        assert [e.pointer for e in refused.value.errors] == [pointer], value
    assert _stored(service) == before


@pytest.mark.parametrize("use", sorted(TEXT_USES))
def test_text_with_tab_and_newline_is_kept(
    service: Service, world: dict[str, str], use: str
) -> None:
    call, _ = TEXT_USES[use]
    call(service, world, "two\tcolumns\nand lines")


@pytest.mark.parametrize("purpose", ["", " ", "\n\t"])
def test_a_notice_needs_a_purpose(service: Service, world: dict[str, str], purpose: str) -> None:
    for submit in (
        lambda: service.submit_notice(ALPHA, "ab", [_volume(service)], purpose),
        lambda: service.amend_notice(ALPHA, world["own"], [_volume(service)], purpose),
    ):
        with pytest.raises(InvalidInput) as refused:
            submit()
        assert [(e.pointer, e.detail) for e in refused.value.errors] == [
            ("/purpose", "must not be empty")
        ]


BAD_IDS = ["\x00", "nul\x00", "has space", "x" * 65, "-dash", "a/b", "caf\u00e9", ""]
UNKNOWN = "unknown-0"

LOOKUPS: dict[str, Callable[[Service, str], Any]] = {
    "get notice": lambda s, i: s.get_notice(ALPHA, i),
    "submit draft": lambda s, i: s.submit_draft(ALPHA, i),
    "amend notice": lambda s, i: s.amend_notice(ALPHA, i, [_volume(s)]),
    "cancel notice": lambda s, i: s.cancel_notice(ALPHA, i),
    "acknowledge": lambda s, i: s.acknowledge(ALPHA, i, 1),
    "list acknowledgements": lambda s, i: s.list_acknowledgements(ALPHA, i),
    "get party": lambda s, i: s.get_party(ADMIN, i),
    "rotate token": lambda s, i: s.rotate_token(ADMIN, i),
    "get aircraft": lambda s, i: s.get_aircraft(ADMIN, i),
    "get agreement": lambda s, i: s.get_agreement(ADMIN, i),
    "get agreement as a party": lambda s, i: s.get_agreement(ALPHA, i),
    "update agreement": lambda s, i: s.update_agreement(
        ADMIN, i, AgreementTerms("A-B", ("alpha", "bravo"))
    ),
    "remove area": lambda s, i: s.remove_protected_area(ALPHA, i),
    "remove hazard": lambda s, i: s.remove_hazard(ALPHA, i),
    "cosigned checkpoint": lambda s, i: s.cosigned_checkpoint(ADMIN, i),
}


def _refusal(call: Callable[[Service, str], Any], service: Service, resource: str) -> str:
    with pytest.raises(NotFound) as refused:
        call(service, resource)
    return refused.value.detail.replace(repr(resource), "<id>")


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_an_id_of_another_form_names_nothing(
    service: Service, world: dict[str, str], lookup: str
) -> None:
    call = LOOKUPS[lookup]
    unknown = _refusal(call, service, UNKNOWN)
    for resource in BAD_IDS:
        assert _refusal(call, service, resource) == unknown, resource


def test_an_id_of_another_form_filters_out_every_hazard(
    service: Service, world: dict[str, str]
) -> None:
    service.add_hazard(ALPHA, "ab", "crane", _volume(service))
    assert [h.name for h in service.list_hazards(ALPHA, "ab")] == ["crane"]
    for agreement_id in BAD_IDS:
        assert service.list_hazards(ALPHA, agreement_id) == []


@pytest.mark.parametrize("agreement_id", BAD_IDS)
def test_a_notice_or_hazard_under_an_id_of_another_form_is_refused(
    service: Service, world: dict[str, str], agreement_id: str
) -> None:
    for submit in (
        lambda: service.submit_notice(ALPHA, agreement_id, [_volume(service)], "p"),
        lambda: service.add_hazard(ALPHA, agreement_id, "crane", _volume(service)),
    ):
        with pytest.raises(InvalidInput) as refused:
            submit()
        assert [e.pointer for e in refused.value.errors] == ["/agreement_id"]


def test_a_cursor_of_another_form_is_refused(service: Service, world: dict[str, str]) -> None:
    for cursor in BAD_IDS:
        with pytest.raises(InvalidInput) as refused:
            service.list_notices(ALPHA, cursor=cursor)
        assert [e.pointer for e in refused.value.errors] == ["/cursor"], cursor


def test_a_member_of_another_form_is_refused_at_its_index(service: Service) -> None:
    with pytest.raises(InvalidInput) as refused:
        AgreementTerms("A-B", ("alpha", "nul\x00", "ok", "a b"))
    assert [e.pointer for e in refused.value.errors] == ["/members/1", "/members/3"]


HUGE = [2**31, 2**63, 2**70]
"""Integers past the 32-bit columns: SQLite cannot bind one past 64 bits, PostgreSQL refuses
one past its column ("integer out of range")."""


def test_a_version_past_its_column_names_nothing(service: Service, world: dict[str, str]) -> None:
    for version in HUGE:
        with pytest.raises(NotFound, match=f"version {version} not found"):
            service.get_notice(ALPHA, world["own"], version)
        with pytest.raises(NotFound, match=f"version {version} not found"):
            service.acknowledge(ALPHA, world["disclosed"], version)
        with pytest.raises(NotFound, match="agreement 'ab' not found"):
            service.get_agreement(ADMIN, "ab", version)


def test_events_after_an_id_past_its_column_are_refused(
    service: Service, world: dict[str, str]
) -> None:
    for after_id in HUGE:
        with pytest.raises(InvalidInput) as refused:
            service.list_events(ALPHA, after_id=after_id)
        assert [e.pointer for e in refused.value.errors] == ["/after"]
    assert service.list_events(ALPHA, after_id=2**31 - 1).items == ()


DAYS_30 = 30 * 24 * 3600.0


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"ack_deadline_s": 1e308}, "/ack_deadline_s"),
        ({"buffer_t_s": 1e308}, "/buffer_t_s"),
        ({"min_lead_time_s": DAYS_30 + 1}, "/min_lead_time_s"),
        ({"escalation_after_s": (0.0, 1e308)}, "/escalation_after_s/1"),
        ({"escalation_after_s": tuple(60.0 * n for n in range(17))}, "/escalation_after_s"),
        ({"buffer_h_m": 1_000_000.5}, "/buffer_h_m"),
        ({"buffer_v_m": 10_000.5}, "/buffer_v_m"),
        ({"datum_margin_m": 10_000.5}, "/datum_margin_m"),
        ({"members": tuple(f"p{n}" for n in range(1001))}, "/members"),
    ],
)
def test_terms_past_their_bounds_are_refused(changes: dict[str, Any], pointer: str) -> None:
    """Such terms were stored, and every notice under them failed (a timedelta overflow)."""
    fields: dict[str, Any] = {"name": "A-B", "members": ("alpha", "bravo"), **changes}
    with pytest.raises(InvalidInput) as refused:
        AgreementTerms(**fields)
    assert [e.pointer for e in refused.value.errors] == [pointer]


def test_a_notice_under_terms_at_their_bounds_is_checked_and_disclosed(
    service: Service, world: dict[str, str]
) -> None:
    widest = AgreementTerms(
        "widest",
        ("alpha", "bravo"),
        min_lead_time_s=DAYS_30,
        ack_deadline_s=DAYS_30,
        escalation_after_s=(DAYS_30,) * 16,
        buffer_h_m=1_000_000.0,
        buffer_v_m=10_000.0,
        buffer_t_s=DAYS_30,
        datum_margin_m=10_000.0,
    )
    service.add_agreement(ADMIN, widest, agreement_id="widest")
    service.submit_notice(BRAVO, "widest", [_volume(service)], "first")
    notice = service.submit_notice(ALPHA, "widest", [_volume(service)], "second")
    assert [d.party for d in notice.disclosures] == ["bravo"]
    assert notice.conflicts
    service.clock.advance(2 * DAYS_30)  # type: ignore[attr-defined]
    service.tick()


# ------------------------------------------------------------------ the database out of reach


def test_a_database_out_of_reach_is_unavailable_then_back(
    service: Service,
    world: dict[str, str],
    out_of_reach: Callable[[Service], AbstractContextManager[None]],
) -> None:
    """PostgreSQL refusing connections, or SQLite's file gone: a 500 once, now `Unavailable`
    (503 with Retry-After at the API), and served again once the database is back."""
    with out_of_reach(service):
        for call in (
            lambda: service.get_notice(ALPHA, world["own"]),
            lambda: service.submit_notice(ALPHA, "ab", [_volume(service)], "while down"),
            lambda: service.authenticate("some-token"),
        ):
            with pytest.raises(Unavailable) as refused:
                call()
            assert refused.value.retry_after_s > 0
            assert "psycopg" not in refused.value.detail
    assert service.get_notice(ALPHA, world["own"]).id == world["own"]
