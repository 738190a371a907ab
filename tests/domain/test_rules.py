"""The notice rules, table by table: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deconflict.domain import AckState, AgreementTerms, DisclosureRule, NoticeKind, NoticeState
from deconflict.domain.rules import (
    ack_state,
    disclose,
    is_late,
    notice_state,
    published_state,
    recipients,
)

NOW = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


def terms(rule: DisclosureRule, members: tuple[str, ...] = ("a", "b", "c")) -> AgreementTerms:
    return AgreementTerms(
        "t",
        members,
        min_lead_time_s=3600,
        ack_deadline_s=900,
        escalation_after_s=(0, 600),
        disclosure=rule,
    )


RECIPIENTS = [
    # desc, rule, earlier, affected, expected
    (
        "all members, first version",
        DisclosureRule.ALL_MEMBERS,
        [],
        [],
        {"b": "member", "c": "member"},
    ),
    ("affected only, nothing found", DisclosureRule.AFFECTED, [], [], {}),
    ("affected only, one found", DisclosureRule.AFFECTED, [], ["c"], {"c": "affected"}),
    (
        "affected wins over member",
        DisclosureRule.ALL_MEMBERS,
        [],
        ["c"],
        {"b": "member", "c": "affected"},
    ),
    (
        "earlier recipient wins over all",
        DisclosureRule.ALL_MEMBERS,
        ["c", "c"],
        ["c"],
        {"b": "member", "c": "earlier_recipient"},
    ),
    ("the originator is never told", DisclosureRule.AFFECTED, ["a"], ["a", "b"], {"b": "affected"}),
    ("a non-member affected party is told", DisclosureRule.AFFECTED, [], ["z"], {"z": "affected"}),
]


@pytest.mark.parametrize(
    ("desc", "rule", "earlier", "affected", "want"), RECIPIENTS, ids=[r[0] for r in RECIPIENTS]
)
def test_recipients(
    desc: str, rule: DisclosureRule, earlier: list[str], affected: list[str], want: dict[str, str]
) -> None:
    got = recipients(originator="a", earlier=earlier, affected=affected, terms=terms(rule))
    assert got == want
    assert list(got) == sorted(got), "recipients come sorted by party"


DISCLOSE = [
    # desc, kind, start after now (s), short notice, first escalation after now (s)
    ("ample notice", NoticeKind.SUBMISSION, 7200, False, 900),
    ("exactly the minimum is not short", NoticeKind.SUBMISSION, 3600, False, 900),
    ("a second under the minimum", NoticeKind.AMENDMENT, 3599, True, 900),
    ("starts before the deadline: escalate at the start", NoticeKind.SUBMISSION, 300, True, 300),
    ("already started", NoticeKind.SUBMISSION, -60, True, -60),
    ("a cancellation is never short notice", NoticeKind.CANCELLATION, 60, False, 60),
]


@pytest.mark.parametrize(
    ("desc", "kind", "start_s", "short", "due_s"), DISCLOSE, ids=[r[0] for r in DISCLOSE]
)
def test_disclose(desc: str, kind: NoticeKind, start_s: float, short: bool, due_s: float) -> None:
    start = NOW + timedelta(seconds=start_s)
    disclosure, due = disclose("b", "member", kind, start, NOW, terms(DisclosureRule.ALL_MEMBERS))
    assert disclosure.lead_time_s == start_s
    assert disclosure.short_notice is short
    assert disclosure.ack_due_at == NOW + timedelta(seconds=900)
    assert disclosure.ack_state is AckState.PENDING
    assert (disclosure.party, disclosure.reason, disclosure.disclosed_at) == ("b", "member", NOW)
    assert due == NOW + timedelta(seconds=due_s)


@pytest.mark.parametrize(
    ("now_s", "tier", "late"),
    [(0, 0, False), (900, 0, False), (901, 0, True), (10, 1, True)],
)
def test_lateness(now_s: float, tier: int, late: bool) -> None:
    due = NOW + timedelta(seconds=900)
    assert is_late(NOW + timedelta(seconds=now_s), due, tier) is late
    assert ack_state(late) is (AckState.ACKNOWLEDGED_LATE if late else AckState.ACKNOWLEDGED)


STATES = [
    # desc, current, latest version's ack states, expected
    ("nobody told yet", NoticeState.SUBMITTED, set(), NoticeState.SUBMITTED),
    (
        "waiting",
        NoticeState.SUBMITTED,
        {AckState.PENDING, AckState.ACKNOWLEDGED},
        NoticeState.SUBMITTED,
    ),
    ("all acknowledged", NoticeState.SUBMITTED, {AckState.ACKNOWLEDGED}, NoticeState.ACKNOWLEDGED),
    (
        "late counts as acknowledged",
        NoticeState.ESCALATED,
        {AckState.ACKNOWLEDGED, AckState.ACKNOWLEDGED_LATE},
        NoticeState.ACKNOWLEDGED,
    ),
    (
        "one escalation escalates",
        NoticeState.ACKNOWLEDGED,
        {AckState.ACKNOWLEDGED, AckState.ESCALATED},
        NoticeState.ESCALATED,
    ),
    (
        "cancelled stays cancelled",
        NoticeState.CANCELLED,
        {AckState.ESCALATED},
        NoticeState.CANCELLED,
    ),
    ("expired stays expired", NoticeState.EXPIRED, {AckState.ACKNOWLEDGED}, NoticeState.EXPIRED),
]


@pytest.mark.parametrize(("desc", "current", "states", "want"), STATES, ids=[r[0] for r in STATES])
def test_notice_state(
    desc: str, current: NoticeState, states: set[AckState], want: NoticeState
) -> None:
    assert notice_state(current, states) is want


def test_published_state() -> None:
    assert published_state(NoticeKind.SUBMISSION) is NoticeState.SUBMITTED
    assert published_state(NoticeKind.AMENDMENT) is NoticeState.SUBMITTED
    assert published_state(NoticeKind.CANCELLATION) is NoticeState.CANCELLED


def test_the_tables_hold_every_case() -> None:
    assert (len(RECIPIENTS), len(DISCLOSE), len(STATES)) == (7, 6, 7)
