"""The timeline a verified bundle proves states the times put in, its warning times are bracketed
by the cosignature bounds, and an entry whose body its type cannot state fails, named."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.evidence import BundleError, verify_bundle
from proof_bundles import NOTICE, START, World, at, build


def test_a_bundle_verifies_and_states_the_times_it_holds(world: World) -> None:
    timeline = verify_bundle(world.bundle)
    assert timeline.notice_id == NOTICE
    assert timeline.tree_size == len(world.log.raw)
    assert not timeline.keys_trusted
    assert timeline.cosigned_by == (("a", at(105)), ("b", at(103)))
    assert [e.type for e in timeline.events] == ["notice.version", "disclosure", "ack"]
    assert [e.index for e in timeline.events] == [3, 4, 6]
    disclosure = timeline.events[1]
    assert disclosure.party == "b"
    assert disclosure.received_at == at(20)
    by_party = {w.party: w for w in disclosure.witnessed}
    assert (by_party["b"].before_size, by_party["b"].after_size) == (3, 6)
    assert (by_party["b"].not_before, by_party["b"].not_after) == (at(12), at(27))
    assert (by_party["a"].not_before, by_party["a"].not_after) == (at(10), at(25))
    (warning,) = timeline.warnings
    assert (warning.party, warning.version) == ("b", 1)
    assert warning.service_s == 2 * 3600 - 20
    assert dict((p, (lo, hi)) for p, lo, hi in warning.witnessed) == {
        "a": (2 * 3600 - 25, 2 * 3600 - 10),
        "b": (2 * 3600 - 27, 2 * 3600 - 12),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before_s=st.integers(0, 600),
    gap_s=st.integers(0, 600),
    after_gap_s=st.integers(0, 600),
)
def test_cosignature_bounds_hold_the_service_warning_when_they_bracket_it(
    before_s: int, gap_s: int, after_gap_s: int
) -> None:
    disclosed_s = before_s + gap_s
    after_s = disclosed_s + after_gap_s
    w = build(
        disclosed_s=disclosed_s,
        cosign_before_s=(before_s, before_s),
        cosign_after_s=(after_s, after_s),
        ack_s=after_s + 1,
        party_received_s=after_s + 1,
    )
    (warning,) = verify_bundle(w.bundle).warnings
    for _, low_s, high_s in warning.witnessed:
        assert low_s == (START - at(after_s)).total_seconds()
        assert high_s == (START - at(before_s)).total_seconds()
        assert low_s is not None
        assert high_s is not None
        assert low_s <= warning.service_s <= high_s


@pytest.mark.parametrize(
    "body",
    [{"lead_time_s": "soon"}, {"version": [1]}, {"version": None}, {"ack_due_at": 5}],
    ids=["lead-time", "version-list", "version-null", "due-time"],
)
def test_a_validly_signed_entry_with_a_malformed_body_fails_cleanly(body: dict[str, Any]) -> None:
    """A log that signs nonsense still gets a named failure, not a crash."""
    with pytest.raises(BundleError) as failed:
        verify_bundle(build(disclosure_body=body).bundle)
    assert failed.value.where.startswith("entries[4]")
