"""The declared limits, as tables of values in and out of each: ids, text and numeric bounds.

The text pattern (which the API's schemas carry) and the text check (which the service runs)
are compared too: they must refuse exactly the same values.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deconflict import limits
from deconflict.errors import InvalidInput

IDS = [
    ("alpha", True),
    ("A", True),
    ("9", True),
    ("ntc_0001780000000a1b2c3d4", True),
    ("north-south.v2", True),
    ("x" * 64, True),
    ("x" * 65, False),
    ("", False),
    ("-leading-dash", False),
    ("_leading_underscore", False),
    (".hidden", False),
    ("has/slash", False),
    ("has space", False),
    ("colon:in", False),
    ("nul\x00", False),
    ("\x00", False),
    ("trailing-newline\n", False),
    ("caf\u00e9", False),
    ("\u0661\u0662", False),
]


def test_the_id_table_covers_both_answers() -> None:
    assert len(IDS) == 19
    assert {valid for _, valid in IDS} == {True, False}


@pytest.mark.parametrize(("value", "valid"), IDS)
def test_is_id(value: str, valid: bool) -> None:
    assert limits.is_id(value) is valid


@pytest.mark.parametrize(("value", "valid"), IDS)
def test_require_id_names_the_pointer(value: str, valid: bool) -> None:
    if valid:
        assert limits.require_id(value, "/id") == value
        return
    with pytest.raises(InvalidInput, match="is not an id") as info:
        limits.require_id(value, "/members/1")
    assert [e.pointer for e in info.value.errors] == ["/members/1"]


def test_is_id_refuses_what_is_not_a_string() -> None:
    assert not limits.is_id(None)
    assert not limits.is_id(7)


TEXTS = [
    ("", None),
    ("plain words", None),
    ("tab\tand\nnewline", None),
    ("\u202e\u200b\ufeff\u2028 format characters are not control characters", None),
    ("x" * 60, None),
    ("x" * 61, "at most 60 characters, not 61"),
    ("\x00", "holds the control character U+0000 at 0"),
    ("nul\x00inside", "holds the control character U+0000 at 3"),
    ("carriage\rreturn", "holds the control character U+000D at 8"),
    ("escape\x1b[2J", "holds the control character U+001B at 6"),
    ("delete\x7f", "holds the control character U+007F at 6"),
    ("c1\x85", "holds the control character U+0085 at 2"),
    ("c1\x9f", "holds the control character U+009F at 2"),
    ("\xa0 no-break space is text", None),
]


@pytest.mark.parametrize(("value", "problem"), TEXTS)
def test_text_problem(value: str, problem: str | None) -> None:
    found = limits.text_problem(value, 60)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(problem)


def test_require_text_raises_at_the_pointer() -> None:
    with pytest.raises(InvalidInput, match=r"^holds the control character U\+0000 at 1") as info:
        limits.require_text("a\x00b", "/purpose", 100)
    assert [e.pointer for e in info.value.errors] == ["/purpose"]
    assert limits.require_text("a\tb", "/purpose", 100) == "a\tb"


@given(st.text(max_size=30))
def test_the_text_pattern_and_the_text_check_agree(value: str) -> None:
    schema_says = re.fullmatch(limits.TEXT_PATTERN, value) is not None
    assert schema_says == (limits.text_problem(value, 1_000) is None)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (-1000.0, True),
        (100_000.0, True),
        (0.0, True),
        (-1000.5, False),
        (100_000.5, False),
        (float("inf"), False),
        (float("-inf"), False),
        (float("nan"), False),
        (1e308, False),
    ],
)
def test_require_within(value: float, ok: bool) -> None:
    if ok:
        assert limits.require_within(value, limits.MIN_ALT_M, limits.MAX_ALT_M, "/a", "m") == value
        return
    with pytest.raises(InvalidInput, match=r"^must be from -1,000 to 100,000 m, not ") as info:
        limits.require_within(value, limits.MIN_ALT_M, limits.MAX_ALT_M, "/a", "m")
    assert [e.pointer for e in info.value.errors] == ["/a"]


def test_the_pinned_values() -> None:
    """The values issue 14 pins, written out rather than derived."""
    assert limits.ID_PATTERN == r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
    assert limits.MAX_TIERS == 16
    assert limits.MAX_DURATION_S == 2_592_000.0
    assert limits.MAX_BUFFER_H_M == 1_000_000.0
    assert limits.MAX_BUFFER_V_M == 10_000.0
    assert (limits.MIN_ALT_M, limits.MAX_ALT_M) == (-1_000.0, 100_000.0)
    assert (limits.MIN_YEAR, limits.MAX_YEAR) == (1970, 2200)
    assert limits.MAX_MEMBERS == 1_000
    assert limits.MAX_INT32 == 2_147_483_647
    assert limits.MAX_JSON_DEPTH == 32
