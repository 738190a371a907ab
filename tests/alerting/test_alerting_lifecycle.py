"""The alert book: raise, update and clear from cycles of conditions, table-driven.

Each case is a list of cycles (time, the conditions met) and the transitions expected, written
as "raised A caution", "updated A warning", "cleared A cleared". Subjects are named by letter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from deconflict.alerting import (
    Alert,
    AlertBook,
    Cleared,
    ClearReason,
    Condition,
    PartyChannel,
    Raised,
    Subject,
    TrackPair,
    Transition,
    Updated,
    alert_id,
)
from deconflict.tracks import TrackKey

SUBJECTS: dict[str, Subject] = {
    "A": TrackPair.of(TrackKey("alpha", "1"), TrackKey("bravo", "1")),
    "B": TrackPair.of(TrackKey("alpha", "2"), TrackKey(None, "4ca123")),
    "C": PartyChannel("agr_1", "charlie"),
}
NAMES = {subject: name for name, subject in SUBJECTS.items()}
TIERS = ("caution", "warning")


def met(
    tier: str = "caution", tcpa_s: float | None = 60.0, dcpa_m: float | None = 1000.0
) -> Condition:
    return Condition(tier, TIERS.index(tier), tcpa_s, dcpa_m, 5000.0)


Cycle = tuple[float, dict[str, Condition]]


@dataclass(frozen=True)
class Case:
    desc: str
    cycles: list[Cycle]
    want: list[list[str]]
    clear_after_s: float = 10.0


def spelled(transition: Transition) -> str:
    name = NAMES[transition.alert.subject]
    if isinstance(transition, Raised):
        return f"raised {name} {transition.alert.condition.tier}"
    if isinstance(transition, Updated):
        return f"updated {name} {transition.alert.condition.tier}"
    return f"cleared {name} {transition.reason}"


def quiet(*times: float) -> list[Cycle]:
    return [(t, {}) for t in times]


CASES = [
    Case(
        "a condition met once raises, then clears clear_after_s after it was last met",
        [(0.0, {"A": met()}), *quiet(1, 5, 9), (10.0, {})],
        [["raised A caution"], [], [], [], ["cleared A cleared"]],
    ),
    Case(
        "clearing is at exactly clear_after_s, not a cycle later, not a moment before",
        [(100.0, {"A": met()}), (109.999, {}), (110.0, {}), (111.0, {})],
        [["raised A caution"], [], ["cleared A cleared"], []],
    ),
    Case(
        "a condition that returns within clear_after_s keeps the alert, with no new raise",
        [(0.0, {"A": met()}), *quiet(1, 2, 3), (4.0, {"A": met()}), *quiet(13.9), (14.0, {})],
        [["raised A caution"], [], [], [], [], [], ["cleared A cleared"]],
    ),
    Case(
        "a flicker every other cycle never clears",
        [(float(t), {"A": met(tcpa_s=60.0 - t)} if t % 2 == 0 else {}) for t in range(30)],
        [["raised A caution"], *[[]] * 29],
    ),
    Case(
        "tier escalation and de-escalation are updates, a repeat of the same tier is not",
        [
            (0.0, {"A": met("caution")}),
            (1.0, {"A": met("warning", 59.0)}),
            (2.0, {"A": met("warning", 58.0)}),
            (3.0, {"A": met("caution", 57.0)}),
            (4.0, {"A": met("caution", 56.0)}),
        ],
        [["raised A caution"], ["updated A warning"], [], ["updated A caution"], []],
    ),
    Case(
        "the tier drops back after a gap within clear_after_s: an update, not a new alert",
        [(0.0, {"A": met("warning")}), *quiet(1, 2), (3.0, {"A": met("caution", 57.0)})],
        [["raised A warning"], [], [], ["updated A caution"]],
    ),
    Case(
        "tcpa counting down as predicted is no news",
        [(float(t), {"A": met(tcpa_s=120.0 - t)}) for t in range(0, 100, 7)],
        [["raised A caution"], *[[]] * 14],
    ),
    Case(
        "tcpa moving by more than 20 % of the aged time is material, by less is not",
        [
            (0.0, {"A": met(tcpa_s=120.0)}),
            (10.0, {"A": met(tcpa_s=130.9)}),
            (20.0, {"A": met(tcpa_s=80.0)}),
            (21.0, {"A": met(tcpa_s=74.0)}),
            (31.0, {"A": met(tcpa_s=60.0)}),
            (41.0, {"A": met(tcpa_s=34.0)}),
        ],
        [["raised A caution"], [], [], ["updated A caution"], [], ["updated A caution"]],
    ),
    Case(
        "near CPA the tolerance is 5 s",
        [
            (0.0, {"A": met(tcpa_s=10.0)}),
            (1.0, {"A": met(tcpa_s=5.0)}),
            (2.0, {"A": met(tcpa_s=2.0)}),
        ],
        [["raised A caution"], [], ["updated A caution"]],
    ),
    Case(
        "past CPA (negative tcpa, or 0 for inside) time is not compared",
        [
            (0.0, {"A": met(tcpa_s=0.0)}),
            (30.0, {"A": met(tcpa_s=0.0)}),
            (31.0, {"A": met(tcpa_s=-40.0)}),
        ],
        [["raised A caution"], [], []],
    ),
    Case(
        "dcpa moving by more than max(100 m, 20 %) is material",
        [
            (0.0, {"A": met(dcpa_m=300.0)}),
            (1.0, {"A": met(dcpa_m=399.0)}),
            (2.0, {"A": met(dcpa_m=401.0)}),
            (3.0, {"A": met(dcpa_m=2000.0)}),
            (4.0, {"A": met(dcpa_m=2399.0)}),
            (5.0, {"A": met(dcpa_m=1500.0)}),
        ],
        [
            ["raised A caution"],
            [],
            ["updated A caution"],
            ["updated A caution"],
            [],
            ["updated A caution"],
        ],
    ),
    Case(
        "changes are measured from the last reported figures, not the last seen",
        [(float(t), {"A": met(tcpa_s=60.0 - t, dcpa_m=1000.0 + 60.0 * t)}) for t in range(7)],
        [["raised A caution"], [], [], [], ["updated A caution"], [], []],
    ),
    Case(
        "figures that are None are never compared",
        [(0.0, {"C": met(tcpa_s=None, dcpa_m=None)}), (1.0, {"C": met(tcpa_s=None, dcpa_m=None)})],
        [["raised C caution"], []],
    ),
    Case(
        "subjects are independent and transitions come in subject order",
        [
            (0.0, {"B": met(), "A": met()}),
            (5.0, {"B": met()}),
            (10.0, {"C": met(tcpa_s=None), "B": met("warning")}),
        ],
        [
            ["raised A caution", "raised B caution"],
            [],
            ["raised C caution", "cleared A cleared", "updated B warning"],
        ],
    ),
    Case(
        "a cleared subject that meets a tier again is a new alert",
        [(0.0, {"A": met()}), (10.0, {}), (11.0, {"A": met()})],
        [["raised A caution"], ["cleared A cleared"], ["raised A caution"]],
    ),
    Case(
        "clear_after_s 0 clears at the first cycle without the condition",
        [(0.0, {"A": met()}), (0.5, {"A": met()}), (1.0, {})],
        [["raised A caution"], [], ["cleared A cleared"]],
        clear_after_s=0.0,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.desc for c in CASES])
def test_lifecycle(case: Case) -> None:
    assert len(case.cycles) == len(case.want), "case is malformed"
    book = AlertBook(clear_after_s=case.clear_after_s)
    got = []
    for now_s, conditions in case.cycles:
        transitions = book.step(now_s, {SUBJECTS[n]: c for n, c in conditions.items()})
        got.append([spelled(t) for t in transitions])
    assert got == case.want


def test_the_case_table_is_all_there() -> None:
    assert len(CASES) == 16


def run(cycles: list[Cycle], shuffle: random.Random | None = None) -> list[Transition]:
    book = AlertBook()
    out: list[Transition] = []
    for now_s, conditions in cycles:
        items = [(SUBJECTS[n], c) for n, c in conditions.items()]
        if shuffle is not None:
            shuffle.shuffle(items)
        out += book.step(now_s, dict(items))
    return out


def test_transitions_and_ids_are_the_same_on_every_run_and_in_any_input_order() -> None:
    cycles = CASES[13].cycles
    first = run(cycles)
    for seed in range(5):
        assert run(cycles, random.Random(seed)) == first
    raised = [t for t in first if isinstance(t, Raised)]
    assert [t.alert.id for t in raised] == [
        alert_id(SUBJECTS["A"], 0.0),
        alert_id(SUBJECTS["B"], 0.0),
        alert_id(SUBJECTS["C"], 10.0),
    ]


def test_an_update_keeps_the_id_and_carries_the_previous_condition() -> None:
    book = AlertBook()
    (raised,) = book.step(0.0, {SUBJECTS["A"]: met("caution")})
    (updated,) = book.step(1.0, {SUBJECTS["A"]: met("warning", 59.0)})
    assert isinstance(raised, Raised)
    assert isinstance(updated, Updated)
    assert updated.alert.id == raised.alert.id
    assert updated.alert.raised_s == 0.0
    assert updated.at_s == 1.0
    assert updated.previous == raised.alert.condition
    assert book.get(SUBJECTS["A"]) == updated.alert


def test_a_new_alert_after_a_clear_has_a_new_id() -> None:
    book = AlertBook()
    (first,) = book.step(0.0, {SUBJECTS["A"]: met()})
    book.clear([SUBJECTS["A"]], 1.0, ClearReason.TRACK_LOST)
    (second,) = book.step(1.0, {SUBJECTS["A"]: met()})
    assert first.alert.id != second.alert.id


def test_a_lost_track_clears_every_alert_it_is_in_at_once() -> None:
    book = AlertBook()
    book.step(0.0, {SUBJECTS["A"]: met(), SUBJECTS["B"]: met(), SUBJECTS["C"]: met()})
    lost = book.involving({TrackKey("alpha", "1")})
    assert lost == [SUBJECTS["A"]]
    cleared = book.clear(lost, 2.0, ClearReason.TRACK_LOST)
    assert [(NAMES[c.alert.subject], c.reason, c.at_s) for c in cleared] == [
        ("A", ClearReason.TRACK_LOST, 2.0)
    ]
    assert book.clear(lost, 2.0, ClearReason.TRACK_LOST) == []
    assert [NAMES[a.subject] for a in book.alerts()] == ["C", "B"]
    assert book.step(3.0, {SUBJECTS["B"]: met(), SUBJECTS["C"]: met()}) == []


def test_a_restart_clears_the_alerts_left_open_with_service_restart() -> None:
    before = AlertBook()
    before.step(0.0, {SUBJECTS["A"]: met(), SUBJECTS["B"]: met()})
    before.step(4.0, {SUBJECTS["A"]: met("warning")})
    left_open = before.alerts()
    after = AlertBook(open_alerts=left_open)
    assert after.alerts() == left_open
    cleared = after.clear_all(20.0)
    assert [(c.alert, c.reason) for c in cleared] == [
        (a, ClearReason.SERVICE_RESTART) for a in left_open
    ]
    assert len(after) == 0
    (raised,) = after.step(21.0, {SUBJECTS["A"]: met()})
    assert isinstance(raised, Raised)
    assert raised.alert.id != left_open[0].id


def test_alerts_read_back_after_a_restart_clear_as_if_met_when_last_reported() -> None:
    alert = Alert("alr_x", SUBJECTS["A"], 0.0, met(), 5.0)
    book = AlertBook(open_alerts=[alert])
    assert book.step(14.9, {}) == []
    assert book.step(15.0, {}) == [Cleared(alert, ClearReason.CLEARED, 15.0)]


def test_time_may_not_go_back() -> None:
    book = AlertBook()
    book.step(10.0, {})
    book.step(10.0, {})
    with pytest.raises(ValueError, match=r"before the book's last time 10\.0"):
        book.step(9.0, {})
    with pytest.raises(ValueError, match="before"):
        book.clear_all(9.0)


@pytest.mark.parametrize("clear_after_s", [-1.0, float("nan")])
def test_a_negative_clear_after_is_refused(clear_after_s: float) -> None:
    with pytest.raises(ValueError, match="clear_after_s"):
        AlertBook(clear_after_s=clear_after_s)


def test_a_partial_look_raises_and_updates_but_never_clears() -> None:
    book = AlertBook(clear_after_s=1.0)
    a, b = SUBJECTS["A"], SUBJECTS["B"]
    assert [spelled(t) for t in book.note(0.0, {a: met()})] == ["raised A caution"]
    # B raised and A escalated between cycles; A is not looked at long after its hold: kept.
    noted = book.note(5.0, {b: met(), a: met("warning")})
    assert [spelled(t) for t in noted] == ["updated A warning", "raised B caution"]
    assert [spelled(t) for t in book.note(9.0, {b: met()})] == []
    assert len(book) == 2
    # The next full cycle sees neither: both have been quiet for their hold.
    assert [spelled(t) for t in book.step(10.0, {})] == ["cleared A cleared", "cleared B cleared"]


def test_each_subject_may_hold_for_its_own_clear_after() -> None:
    book = AlertBook(clear_after_s=10.0)
    a, b = SUBJECTS["A"], SUBJECTS["B"]
    book.step(0.0, {a: met(), b: met()})
    holds = {a: 2.0, b: 10.0}
    assert [spelled(t) for t in book.step(1.0, {}, holds.__getitem__)] == []
    assert [spelled(t) for t in book.step(2.0, {}, holds.__getitem__)] == ["cleared A cleared"]
    assert [spelled(t) for t in book.step(9.0, {}, holds.__getitem__)] == []
    assert [spelled(t) for t in book.step(10.0, {}, holds.__getitem__)] == ["cleared B cleared"]
