"""Every spelling of an instant, in tables: valid, naive, badly offset and out of range.

Expected instants are written as `datetime` values, not derived from the parsers; refusals are
matched on the start of our own message (what follows a colon is Python's, and its wording
changes between versions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.times import format_time, format_utc, parse_iso, parse_time, parse_utc, read_utc

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
WHEN = datetime(2026, 6, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
AT = datetime(2021, 10, 7, 13, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    """One input: `want` the instant it denotes, or `error` the start of the refusal."""

    desc: str
    text: object
    want: datetime | None = None
    error: str = ""


def _ids(cases: list[Case]) -> list[str]:
    return [case.desc for case in cases]


# ------------------------------------------------------------------------------ the log's form

SPELLING = "is not YYYY-MM-DDTHH:MM:SS.ffffffZ"
"""The log's own refusal, after the text it refused."""
PYTHONS = "<strptime's message>"
"""A refusal worded by Python (which changes between versions): any `ValueError`."""

LOG_CASES = [
    Case("UTC, six digits, Z", "2026-06-01T08:00:00.000000Z", T0),
    Case("leap day", "2024-02-29T12:00:00.500000Z", datetime(2024, 2, 29, 12, 0, 0, 500000, UTC)),
    Case("first instant", "0001-01-01T00:00:00.000000Z", datetime(1, 1, 1, tzinfo=UTC)),
    Case(
        "last instant",
        "9999-12-31T23:59:59.999999Z",
        datetime(9999, 12, 31, 23, 59, 59, 999999, UTC),
    ),
    Case("naive", "2026-06-01T08:00:00.000000", error=SPELLING),
    Case("+00:00 for Z", "2026-06-01T08:00:00.000000+00:00", error=SPELLING),
    Case("other offset", "2026-06-01T10:00:00.000000+02:00", error=SPELLING),
    Case("lower-case z", "2026-06-01T08:00:00.000000z", error=SPELLING),
    Case("three digits", "2026-06-01T08:00:00.000Z", error=SPELLING),
    Case("no fraction", "2026-06-01T08:00:00Z", error=SPELLING),
    Case("space for T", "2026-06-01 08:00:00.000000Z", error=SPELLING),
    Case("month 13", "2026-13-01T08:00:00.000000Z", error=PYTHONS),
    Case("hour 24", "2026-06-01T24:00:00.000000Z", error=PYTHONS),
    Case("29 February 2026", "2026-02-29T08:00:00.000000Z", error=PYTHONS),
    Case("leap second", "2026-06-01T08:00:60.000000Z", error=PYTHONS),
]


@pytest.mark.parametrize("case", LOG_CASES, ids=_ids(LOG_CASES))
def test_parse_time(case: Case) -> None:
    if case.want is None:
        error = f"{case.text!r} {SPELLING}" if case.error == SPELLING else ""
        with pytest.raises(ValueError, match="^" + re.escape(error)):
            parse_time(str(case.text))
        return
    parsed = parse_time(str(case.text))
    assert parsed == case.want
    assert parsed.tzinfo is UTC


def test_time_format() -> None:
    assert format_time(WHEN) == "2026-06-01T06:00:00.123456Z"
    assert parse_time("2026-06-01T06:00:00.123456Z") == WHEN
    with pytest.raises(ValueError, match="time zone"):
        format_time(datetime(2026, 6, 1))  # noqa: DTZ001


# ---------------------------------------------------------------------- RFC 3339 at the boundary

RFC3339_CASES = [
    Case("+00:00", "2026-06-01T08:00:00+00:00", T0),
    Case("-00:00 (offset unknown)", "2026-06-01T08:00:00-00:00", T0),
    Case("largest offset", "2026-06-01T08:00:00+23:59", T0 - timedelta(hours=23, minutes=59)),
    Case("nanoseconds cut", "2026-06-01T08:00:00.123456789Z", T0 + timedelta(microseconds=123456)),
    Case("leap day", "2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
    Case("naive", "2026-06-01T08:00:00", error="'2026-06-01T08:00:00' has no time zone offset"),
    Case("date only", "2026-06-01", error="'2026-06-01' is not an RFC 3339 date-time"),
    Case("no seconds", "2026-06-01T08:00Z", error="'2026-06-01T08:00Z' is not an RFC 3339"),
    Case("words", "yesterday", error="'yesterday' is not an RFC 3339 date-time"),
    Case("offset without colon", "2026-06-01T08:00:00+0200", error="'2026-06-01T08:00:00+0200' is"),
    Case("one-digit offset", "2026-06-01T08:00:00+2:00", error="'2026-06-01T08:00:00+2:00' is not"),
    Case("space before Z", "2026-06-01T08:00:00 Z", error="'2026-06-01T08:00:00 Z' is not an"),
    Case(
        "offset of 24 h",
        "2026-06-01T08:00:00+24:00",
        error="'2026-06-01T08:00:00+24:00' is not a valid date-time",
    ),
    Case("empty fraction", "2026-06-01T08:00:00.Z", error="'2026-06-01T08:00:00.Z' is not an RFC"),
    Case("comma fraction", "2026-06-01T08:00:00,5Z", error="'2026-06-01T08:00:00,5Z' is not an"),
    Case("non-ASCII digit", "\u06622026-06-01T08:00:00Z", error="'\u06622026-06-01T08:00:00Z' is"),
    Case(
        "month 13", "2026-13-01T00:00:00Z", error="'2026-13-01T00:00:00Z' is not a valid date-time"
    ),
    Case("29 February 2026", "2026-02-29T00:00:00Z", error="'2026-02-29T00:00:00Z' is not a valid"),
    Case(
        "hour 24", "2026-06-01T24:00:00Z", error="'2026-06-01T24:00:00Z' is not a valid date-time"
    ),
    Case("leap second", "2026-06-01T08:00:60Z", error="'2026-06-01T08:00:60Z' is not a valid"),
    Case("year 0", "0000-01-01T00:00:00Z", error="'0000-01-01T00:00:00Z' is not a valid date-time"),
    Case(
        "offset minute 60",
        "2026-06-01T08:00:00+02:60",
        error="'2026-06-01T08:00:00+02:60' is not an RFC 3339 date-time",
    ),
    Case("first year", "1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
    Case(
        "last instant of the last year",
        "2200-12-31T23:59:59.999999Z",
        datetime(2200, 12, 31, 23, 59, 59, 999999, UTC),
    ),
    Case("offset back into 1970", "1970-01-01T01:00:00+01:00", datetime(1970, 1, 1, tzinfo=UTC)),
    Case("year 1969", "1969-12-31T23:59:59Z", error="'1969-12-31T23:59:59Z' is in 1969 (UTC)"),
    Case("year 2201", "2201-01-01T00:00:00Z", error="'2201-01-01T00:00:00Z' is in 2201 (UTC)"),
    Case(
        "offset back into 1969",
        "1970-01-01T00:30:00+01:00",
        error="'1970-01-01T00:30:00+01:00' is in 1969 (UTC)",
    ),
    Case(
        "offset on into 2201",
        "2200-12-31T23:00:00-02:00",
        error="'2200-12-31T23:00:00-02:00' is in 2201 (UTC)",
    ),
    Case(
        "largest offset near year 9999",
        "9999-12-31T23:59:59+23:59",
        error="'9999-12-31T23:59:59+23:59' is in 9999 (UTC)",
    ),
    Case("a number", 1717228800, error="must be an RFC 3339 date-time string, not 1717228800"),
    Case("null", None, error="must be an RFC 3339 date-time string, not None"),
]


@pytest.mark.parametrize("case", RFC3339_CASES, ids=_ids(RFC3339_CASES))
def test_parse_utc(case: Case) -> None:
    if case.want is None:
        with pytest.raises(InvalidInput, match="^" + re.escape(case.error)) as info:
            parse_utc(case.text, "/properties/time_start")
        assert [e.pointer for e in info.value.errors] == ["/properties/time_start"]
        return
    parsed = parse_utc(case.text, "/t")
    assert parsed == case.want
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_parse_utc_refuses_a_time_whose_utc_value_is_out_of_range(text: str) -> None:
    with pytest.raises(
        InvalidInput, match=f"^{re.escape(repr(text))} is out of range in UTC"
    ) as info:
        parse_utc(text, "/t")
    assert [e.pointer for e in info.value.errors] == ["/t"]


def test_parse_utc_refuses_an_offset_of_sixty_minutes() -> None:
    """Python would read +02:60 as +03:00."""
    with pytest.raises(InvalidInput, match="is not an RFC 3339 date-time") as info:
        parse_utc("2026-06-01T08:00:00+02:60", "/t")
    assert [e.pointer for e in info.value.errors] == ["/t"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01T08:00:00Z", T0),
        ("2026-06-01t08:00:00z", T0),
        ("2026-06-01 10:00:00+02:00", T0),
        ("2026-06-01T03:30:00-04:30", T0),
        ("2026-06-01T08:00:00.25Z", T0 + timedelta(milliseconds=250)),
    ],
)
def test_parse_utc_accepts_rfc3339(text: str, expected: datetime) -> None:
    parsed = parse_utc(text, "/t")
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "value",
    ["2026-06-01T08:00:00", "2026-06-01", "yesterday", "2026-06-01T08:00:60Z", 1717228800, None],
)
def test_parse_utc_refuses_naive_or_malformed(value: object) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_utc(value, "/properties/time_start")
    assert [e.pointer for e in info.value.errors] == ["/properties/time_start"]


IN_YEARS = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
    max_value=datetime(2200, 12, 31, 23, 59, 59, 999999),  # noqa: DTZ001
    timezones=st.just(UTC),
)
"""The instants a client may give (limits.MIN_YEAR to MAX_YEAR)."""


@given(IN_YEARS)
def test_format_utc_round_trips(when: datetime) -> None:
    assert parse_utc(format_utc(when), "/t") == when


@given(st.datetimes(timezones=st.just(UTC)))
def test_read_utc_reads_what_format_utc_wrote(when: datetime) -> None:
    read = read_utc(format_utc(when))
    assert read == when
    assert read.utcoffset() == timedelta(0)


# ------------------------------------------------------------------------------- both formatters

FORMAT_CASES = [
    (T0, "2026-06-01T08:00:00.000000Z", "2026-06-01T08:00:00Z"),
    (WHEN, "2026-06-01T06:00:00.123456Z", "2026-06-01T06:00:00.123456Z"),
    (
        datetime(2026, 6, 1, 3, 30, 0, 1, timezone(timedelta(hours=-4, minutes=-30))),
        "2026-06-01T08:00:00.000001Z",
        "2026-06-01T08:00:00.000001Z",
    ),
    (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000Z", "0001-01-01T00:00:00Z"),
    (
        datetime(9999, 12, 31, 23, 59, 59, 999999, UTC),
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59.999999Z",
    ),
]


@pytest.mark.parametrize(("when", "log", "boundary"), FORMAT_CASES)
def test_formats(when: datetime, log: str, boundary: str) -> None:
    assert format_time(when) == log
    assert format_utc(when) == boundary


@given(st.datetimes(timezones=st.just(UTC)))
def test_format_time_round_trips(when: datetime) -> None:
    assert parse_time(format_time(when)) == when


# ---------------------------------------------------------------- ISO 8601 with a zone (the CLI)

ISO_CASES = [
    Case("offset without colon", "2021-10-07T15:00:00+0200", AT),
    Case("-00:00", "2021-10-07T13:00:00-00:00", AT),
    Case("basic format", "20211007T130000Z", AT),
    Case("no seconds", "2021-10-07T13:00Z", AT),
    Case("naive", "2021-10-07T13:00:00", error="time '2021-10-07T13:00:00' has no zone; add Z"),
    Case("date only", "2021-10-07", error="time '2021-10-07' has no zone; add Z or an offset"),
    Case("words", "13h", error="time '13h' is not ISO 8601"),
    Case("empty", "", error="time '' is not ISO 8601"),
    Case(
        "offset of 24 h", "2021-10-07T13:00:00+24:00", error="time '2021-10-07T13:00:00+24:00' is"
    ),
    Case(
        "29 February 2021", "2021-02-29T00:00:00Z", error="time '2021-02-29T00:00:00Z' is not ISO"
    ),
    Case("year 1969", "1969-12-31T23:59:59Z", error="time '1969-12-31T23:59:59Z' is in 1969 (UTC)"),
    Case("year 2201", "2201-01-01T00:00:00Z", error="time '2201-01-01T00:00:00Z' is in 2201 (UTC)"),
    Case(
        "out of range in UTC",
        "0001-01-01T00:00:00+01:00",
        error="time '0001-01-01T00:00:00+01:00' is out of range in UTC",
    ),
]


@pytest.mark.parametrize("case", ISO_CASES, ids=_ids(ISO_CASES))
def test_parse_iso(case: Case) -> None:
    if case.want is None:
        with pytest.raises(InvalidInput, match="^" + re.escape(case.error)) as info:
            parse_iso(str(case.text), "/at")
        assert [e.pointer for e in info.value.errors] == ["/at"]
        return
    parsed = parse_iso(str(case.text), "/at")
    assert parsed == case.want
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-10-07T13:00:00Z", AT),
        ("2021-10-07T15:00:00+02:00", AT),
        (" 2021-10-07 13:00:00.5+00:00 ", AT + timedelta(milliseconds=500)),
    ],
)
def test_parse_iso_reads_iso_8601_with_a_zone(text: str, expected: datetime) -> None:
    assert parse_iso(text, "/at") == expected
    assert parse_iso(text, "/at").tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "message"), [("2021-10-07T13:00:00", "no zone"), ("13h", "not ISO 8601")]
)
def test_parse_iso_refuses_naive_and_malformed_times(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_iso(text, "/at")


def test_event_data_keeps_the_iso_form() -> None:
    from deconflict.times import format_iso

    when = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
    assert format_iso(when) == "2030-06-01T09:00:00+00:00"
    assert format_iso(when.replace(microsecond=5)) == "2030-06-01T09:00:00.000005+00:00"
    with pytest.raises(ValueError, match="naive"):
        format_iso(when.replace(tzinfo=None))
