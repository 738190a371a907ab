"""The one visibility policy, read directly: who may see which notice versions."""

from __future__ import annotations

import pytest
from test_service_notices import setup, volume

from deconflict.clock import FakeClock
from deconflict.domain import DisclosureRule
from deconflict.errors import Forbidden, InvalidInput, NotFound
from deconflict.service import ADMIN, Caller, Service
from deconflict.service.visibility import (
    notice_view,
    notices_in_role,
    require_admin,
    require_party,
)


@pytest.mark.parametrize(
    ("role", "want"),
    [("originator", (True, False)), ("recipient", (False, True)), (None, (True, True))],
)
def test_roles(role: str | None, want: tuple[bool, bool]) -> None:
    assert notices_in_role(role) == want


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(InvalidInput):
        notices_in_role("bystander")


def test_the_admin_sets_up_and_a_party_works() -> None:
    assert require_party(Caller("a")) == "a"
    with pytest.raises(Forbidden):
        require_party(ADMIN)
    require_admin(ADMIN)
    with pytest.raises(Forbidden):
        require_admin(Caller("a"))


def test_views_of_a_notice(service: Service, clock: FakeClock) -> None:
    """The originator sees every version; a recipient those disclosed to it; an outsider, and
    anyone asking for a version it may not see, gets the same answer as for no notice."""
    a, _, _, agr = setup(service, disclosure=DisclosureRule.ALL_MEMBERS)
    notice = service.submit_notice(a, agr, [volume(clock)], "first")
    service.amend_notice(a, notice.id, [volume(clock, lon=36.0)])
    with service.context.read() as repos:
        stored = repos.notices.get(notice.id)
        own = notice_view(repos, stored, "a", notice.id)
        assert (own.originator, list(own.versions)) == (True, [1, 2])
        theirs = notice_view(repos, stored, "b", notice.id)
        assert (theirs.originator, list(theirs.versions)) == (False, [1, 2])
        for party, version in [("c", None), ("c", 1), ("b", 3), ("a", 3)]:
            with pytest.raises(NotFound) as hidden:
                notice_view(repos, stored, party, notice.id, version)
            with pytest.raises(NotFound) as missing:
                notice_view(repos, None, party, notice.id, version)
            assert str(hidden.value) == str(missing.value)


def test_a_recipient_sees_its_own_disclosure_and_acknowledgement_and_the_conflicts_it_is_in() -> (
    None
):
    from datetime import UTC, datetime

    from deconflict.domain import (
        Acknowledgement,
        AckState,
        ConflictReport,
        Disclosure,
        NoticeState,
        StoredNotice,
    )
    from deconflict.service.visibility import NoticeView

    t = datetime(2030, 1, 1, tzinfo=UTC)
    stored = StoredNotice("n", "agr", "a", 1, NoticeState.SUBMITTED, t)
    disclosures = [
        Disclosure(p, t, None, 0.0, False, t, AckState.PENDING, 0, None, "member") for p in "bc"
    ]
    acks = [Acknowledgement("n", 1, p, t, t, "", False) for p in "bc"]
    conflicts = [
        ConflictReport(0, kind, f"{kind}-{owner}", None, 0, owner, t, t, None, 0.0, 0.0, None)
        for kind, owner in [("notice", "b"), ("protected_area", "c"), ("hazard", None)]
    ]
    originator = NoticeView(stored, "a", True, [1])
    recipient = NoticeView(stored, "b", False, [1])
    assert originator.disclosures(disclosures) == tuple(disclosures)
    assert [d.party for d in recipient.disclosures(disclosures)] == ["b"]
    assert [a.party for a in recipient.acknowledgements(acks)] == ["b"]
    assert originator.acknowledgements(acks) == acks
    assert [c.other_id for c in recipient.conflicts(conflicts)] == ["notice-b", "hazard-None"]
    assert len(originator.conflicts(conflicts)) == 3


def test_whose_tracks_a_caller_sees_and_who_reads_a_minute_of_history(service: Service) -> None:
    from deconflict.domain import AgreementTerms, TrackSharing
    from deconflict.service.visibility import TrackAudience, history_readers, track_audience
    from deconflict.tracks import TrackKey

    a, _, c, agr = setup(service)  # a and b share an agreement (alerts_only); c shares none
    with service.context.read() as repos:
        assert track_audience(repos, a) == TrackAudience(frozenset({"a"}))
        assert track_audience(repos, c) == TrackAudience(frozenset({"c"}))
        assert track_audience(repos, ADMIN) == TrackAudience(None)
    terms = service.get_agreement(ADMIN, agr).terms
    service.update_agreement(
        ADMIN,
        agr,
        AgreementTerms(terms.name, terms.members, track_sharing=TrackSharing.ALL_MEMBERS),
    )
    with service.context.read() as repos:
        audience = track_audience(repos, a)
        assert audience == TrackAudience(frozenset({"a", "b"}))
        assert history_readers(repos) == {"a", "b", "c"}
    assert audience.admits(TrackKey("b", "1"))
    assert audience.admits(TrackKey(None, "4840d6"))
    assert not audience.admits(TrackKey("c", "1"))
    assert TrackAudience(None).admits(TrackKey("c", "1"))
