"""Which agreement's alert rules apply to a pair of owners, table-tested."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deconflict.detection.tactical import AlertTier, AlertTiers
from deconflict.domain import Agreement, AgreementTerms
from deconflict.domain.agreements import DEFAULT_ALERT_TIERS
from deconflict.domain.alert_rules import AlertRules

T = datetime(2026, 6, 1, tzinfo=UTC)
WIDE = AlertTiers.of(AlertTier("wide", 20_000.0, 600.0, 300.0))


def _agreement(agreement_id: str, members: tuple[str, ...], **terms: object) -> Agreement:
    return Agreement(agreement_id, 1, AgreementTerms(agreement_id, members, **terms), T)  # type: ignore[arg-type]


RULES = AlertRules.of(
    [
        _agreement("ab", ("a", "b"), clear_after_s=5.0),
        _agreement("abc", ("a", "b", "c"), alert_tiers=WIDE),
        _agreement("cd", ("c", "d"), intra_party_alerts=True),
    ]
)


@pytest.mark.parametrize(
    ("a", "b", "tiers", "agreements"),
    [
        ("a", "b", WIDE, ("ab", "abc")),  # two agreements: the wider tiers apply
        ("b", "a", WIDE, ("ab", "abc")),  # order does not matter
        ("a", "c", WIDE, ("abc",)),
        ("c", "d", DEFAULT_ALERT_TIERS, ("cd",)),
        ("a", "d", None, ()),  # no agreement holds both
        ("a", "a", None, ()),  # one party's own pair, no intra-party alerts
        ("d", "d", DEFAULT_ALERT_TIERS, ("cd",)),  # intra-party alerts on in cd
        ("a", None, WIDE, ("ab", "abc")),  # unattributed traffic: the party's agreements
        ("x", None, None, ()),  # a party in no agreement
        (None, None, None, ()),  # two unattributed tracks
    ],
)
def test_the_rule_for_a_pair_of_owners(
    a: str | None,
    b: str | None,
    tiers: AlertTiers | None,
    agreements: tuple[str, ...],
) -> None:
    rule = RULES.for_pair(a, b)
    assert RULES.tiers_for(a, b) == tiers
    if tiers is None:
        assert rule is None
        return
    assert rule is not None
    assert rule.agreement_ids == agreements


def test_an_alert_holds_for_the_longest_clear_after_of_its_agreements() -> None:
    assert RULES.hold_s(["ab"]) == 5.0
    assert RULES.hold_s(["ab", "abc"]) == 10.0
    assert RULES.hold_s([]) == 10.0


def test_alerts_any_says_whether_the_loop_need_look() -> None:
    assert RULES.alerts_any(["a", "b"])
    assert RULES.alerts_any(["d"])  # cd alerts d's own aircraft
    assert not RULES.alerts_any(["a"])
    assert not RULES.alerts_any([None])
    assert not RULES.alerts_any([])
