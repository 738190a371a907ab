"""Log entries: RFC 8785 bytes written out by hand, strict parsing, round trips."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.log.entry import LogEntry, new_salt, parse_entry
from deconflict.times import format_time

SALT = bytes(range(16))
REF = "ab" * 32
WHEN = datetime(2026, 6, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
BODY = {
    "z": 1,
    "€": True,
    "ä": "x\ny",
    "a": {"c": None, "b": [1, 2.5, "é"]},
    "big": [1e21, 1e-7, 0.000001, -0.0],
}
# RFC 8785 by hand: keys sorted by UTF-16 code unit (a < big < z < ä < €), no whitespace,
# non-ASCII as raw UTF-8, control characters escaped, numbers as ECMAScript prints them.
CANONICAL = (
    '{"body":{"a":{"b":[1,2.5,"é"],"c":null},"big":[1e+21,1e-7,0.000001,0],"z":1,"ä":"x\\ny",'
    '"€":true},"party":"party-a","received_at":"2026-06-01T06:00:00.123456Z",'
    f'"refs":["{REF}"],"salt":"000102030405060708090a0b0c0d0e0f","type":"notice","v":1}}'
).encode()


def _entry(**changes: Any) -> LogEntry:
    fields: dict[str, Any] = {
        "type": "notice",
        "party": "party-a",
        "received_at": WHEN,
        "salt": SALT,
        "refs": (REF,),
        "body": BODY,
    }
    fields.update(changes)
    return LogEntry(**fields)


def test_canonical_bytes_and_leaf_hash() -> None:
    entry = _entry()
    assert entry.canonical() == CANONICAL
    assert entry.leaf_hash() == hashlib.sha256(b"\x00" + CANONICAL).digest()
    assert entry.received_at == datetime(2026, 6, 1, 6, 0, 0, 123456, tzinfo=UTC)


def test_parse_returns_the_same_entry() -> None:
    entry = parse_entry(CANONICAL)
    assert entry == _entry()
    assert entry.canonical() == CANONICAL


def test_service_entries_have_no_party() -> None:
    entry = _entry(party=None, refs=(), body={})
    assert b'"party":null' in entry.canonical()
    assert parse_entry(entry.canonical()) == entry


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(CANONICAL)
    return doc


@pytest.mark.parametrize(
    ("desc", "data"),
    [
        ("whitespace", json.dumps(_doc(), sort_keys=True, ensure_ascii=False).encode()),
        ("key order", json.dumps(dict(reversed(_doc().items())), separators=(",", ":")).encode()),
        ("escaped non-ASCII", CANONICAL.replace("é".encode(), b"\\u00e9")),
        ("float spelling", CANONICAL.replace(b'"z":1,', b'"z":1.0,')),
        ("exponent spelling", CANONICAL.replace(b"1e+21", b"1E+21")),
        ("duplicate key", CANONICAL.replace(b'{"body":', b'{"v":1,"body":')),
        ("trailing newline", CANONICAL + b"\n"),
        ("BOM", b"\xef\xbb\xbf" + CANONICAL),
    ],
)
def test_non_canonical_spellings_are_refused(desc: str, data: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_entry(data)


def _spelled(**changes: Any) -> bytes:
    doc = _doc()
    for key, value in changes.items():
        if value is ...:
            del doc[key]
        else:
            doc[key] = value
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("desc", "data", "pointer"),
    [
        ("not JSON", b"{", ""),
        ("not UTF-8", b'{"body":"\xff"}', ""),
        ("not an object", b"[]", ""),
        ("missing field", _spelled(refs=...), ""),
        ("extra field", _spelled(extra=1), ""),
        ("unknown version", _spelled(v=3), "/v"),
        ("version 2 without prev", _spelled(v=2), ""),
        ("boolean version", _spelled(v=True), "/v"),
        ("offset time", _spelled(received_at="2026-06-01T06:00:00.123456+00:00"), "/received_at"),
        ("time without micros", _spelled(received_at="2026-06-01T06:00:00Z"), "/received_at"),
        ("time as number", _spelled(received_at=0), "/received_at"),
        ("impossible date", _spelled(received_at="2026-02-30T06:00:00.000000Z"), "/received_at"),
        ("upper-case salt", _spelled(salt="000102030405060708090A0B0C0D0E0F"), "/salt"),
        ("short salt", _spelled(salt="00"), "/salt"),
        ("refs not a list", _spelled(refs="x"), "/refs"),
        ("upper-case ref", _spelled(refs=[REF.upper()]), "/refs/0"),
        ("body not an object", _spelled(body=[1]), "/body"),
        ("2**60 is not how its double prints", _spelled(body={"n": 2**60}), ""),
        ("bad type", _spelled(type="Notice!"), "/type"),
        ("empty party", _spelled(party=""), "/party"),
    ],
)
def test_invalid_entries_name_the_field(desc: str, data: bytes, pointer: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_entry(data)
    assert [e.pointer for e in exc.value.errors] == [pointer]


def test_construction_validates_every_field() -> None:
    with pytest.raises(InvalidInput) as exc:
        LogEntry("Bad Type", "", datetime(2026, 1, 1), b"short", ("nothex",), [])  # type: ignore[arg-type]  # noqa: DTZ001
    pointers = [e.pointer for e in exc.value.errors]
    assert pointers == ["/type", "/party", "/received_at", "/salt", "/refs/0", "/body"]
    with pytest.raises(InvalidInput):
        _entry(body={"x": float("nan")})
    with pytest.raises(InvalidInput):
        _entry(body={"x": 2**53})
    with pytest.raises(InvalidInput):
        _entry(body={"x": object()})


def test_salts_are_fresh() -> None:
    salts = {new_salt() for _ in range(8)}
    assert len(salts) == 8
    assert all(len(s) == 16 for s in salts)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150)
@given(
    body=st.dictionaries(st.text(), json_values, max_size=5),
    party=st.none() | st.text(min_size=1),
    when=st.datetimes(timezones=st.just(UTC)),
    salt=st.binary(min_size=16, max_size=16),
    refs=st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), max_size=3),
)
def test_every_entry_round_trips_through_its_canonical_bytes(
    body: dict[str, Any], party: str | None, when: datetime, salt: bytes, refs: list[str]
) -> None:
    try:
        entry = LogEntry("alert", party, when, salt, tuple(refs), body)
    except InvalidInput:
        # Lone surrogates have no UTF-8 form; nothing else valid should be refused.
        assert any(
            "\ud800" <= c <= "\udfff" for c in json.dumps(body, ensure_ascii=False) + str(party)
        )
        return
    reference = {
        "body": body,
        "party": party,
        "received_at": format_time(when),
        "refs": refs,
        "salt": salt.hex(),
        "type": "alert",
        "v": 1,
    }
    assert entry.canonical() == rfc8785.dumps(reference)
    again = parse_entry(entry.canonical())
    assert again.canonical() == entry.canonical()
    assert again.leaf_hash() == entry.leaf_hash()
    assert (again.party, again.received_at, again.salt, again.refs) == (
        party,
        when,
        salt,
        tuple(refs),
    )


def test_version_2_chains_entries_and_version_1_still_parses() -> None:
    """`prev` sits between `party` and `received_at` in RFC 8785 order; null is spelled out."""
    first = LogEntry("ack", "b", WHEN, bytes(16), (), {"x": 1}, None, 2)
    assert b'"party":"b","prev":null,"received_at"' in first.canonical()
    assert first.canonical().endswith(b',"v":2}')
    second = LogEntry("ack", "b", WHEN, bytes(16), (), {"x": 2}, first.leaf_hash().hex(), 2)
    assert f'"prev":"{first.leaf_hash().hex()}"'.encode() in second.canonical()
    document = json.loads(second.canonical())
    assert rfc8785.dumps(document) == second.canonical()
    for entry in (first, second):
        again = parse_entry(entry.canonical())
        assert (again.v, again.prev) == (2, entry.prev)
        assert again.canonical() == entry.canonical()
    old = LogEntry("ack", "b", WHEN, bytes(16), (), {"x": 1})
    assert b"prev" not in old.canonical()
    assert parse_entry(old.canonical()).v == 1
    assert old.leaf_hash() != first.leaf_hash()


@pytest.mark.parametrize(
    ("prev", "version"),
    [("ab" * 32, 1), ("AB" * 32, 2), ("ab" * 31, 2), (7, 2)],
    ids=["prev in version 1", "upper-case", "short", "not a string"],
)
def test_a_bad_prev_is_refused(prev: Any, version: int) -> None:
    with pytest.raises(InvalidInput) as info:
        LogEntry("ack", "b", WHEN, bytes(16), (), {}, prev, version)
    assert [e.pointer for e in info.value.errors] == ["/prev"]


def test_an_unknown_version_cannot_be_made() -> None:
    with pytest.raises(InvalidInput) as info:
        LogEntry("ack", "b", WHEN, bytes(16), (), {}, None, 3)
    assert [e.pointer for e in info.value.errors] == ["/v"]
