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
        assert (own.originator, list(own.versions), own.shown_to) == (True, [1, 2], None)
        theirs = notice_view(repos, stored, "b", notice.id)
        assert (theirs.originator, list(theirs.versions), theirs.shown_to) == (False, [1, 2], "b")
        for party, version in [("c", None), ("c", 1), ("b", 3), ("a", 3)]:
            with pytest.raises(NotFound) as hidden:
                notice_view(repos, stored, party, notice.id, version)
            with pytest.raises(NotFound) as missing:
                notice_view(repos, None, party, notice.id, version)
            assert str(hidden.value) == str(missing.value)
