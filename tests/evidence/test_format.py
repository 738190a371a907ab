"""Reading a bundle document: any value replaced by any JSON value is a named `BundleError`,
never a crash; an unknown, missing or repeated field, in any object of the document or in the
body of an entry it carries, fails by its path; values keep their types."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidInput
from deconflict.evidence import BundleError, load_bundle, verify_bundle
from proof_bundles import NOTICE, World, build


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _paths(value, (*prefix, i))
    return found


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["index", "note", "entry", "x"]), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_replaced_value_is_a_bundle_error_never_a_crash(
    world: World, data: st.DataObject
) -> None:
    bundle = copy.deepcopy(world.bundle)
    path = data.draw(st.sampled_from(_paths(bundle)[1:]), label="path")
    value = data.draw(JSON, label="value")
    holder: Any = bundle
    for step in path[:-1]:
        holder = holder[step]
    unchanged = holder[path[-1]] == value
    holder[path[-1]] = value
    try:
        verify_bundle(bundle)
    except BundleError:
        return
    # Dropping a bracket, or a bound of one, only loosens what the bundle claims.
    assert unchanged or path[0] == "brackets", (path, value)


# --- strict reading: every object has exactly its fields ---------------------------------------


def _where(path: tuple[Any, ...]) -> str:
    """The path a BundleError names: `brackets[3].before`."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _objects(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every object of the document with its path (the document's own is ())."""
    found = []
    if isinstance(doc, dict):
        found.append((path, doc))
        for key, value in doc.items():
            found += _objects(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _objects(value, (*path, i))
    return found


def _dumps(doc: Any, repeat: tuple[Any, ...] | None = None, path: tuple[Any, ...] = ()) -> str:
    """The document as JSON text, with the field at `repeat` written twice (same value)."""
    if isinstance(doc, dict):
        items = [f"{json.dumps(k)}: {_dumps(v, repeat, (*path, k))}" for k, v in doc.items()]
        if repeat is not None and repeat[:-1] == path:
            items.append(f"{json.dumps(repeat[-1])}: {_dumps(doc[repeat[-1]])}")
        return "{" + ", ".join(items) + "}"
    if isinstance(doc, list):
        return "[" + ", ".join(_dumps(v, repeat, (*path, i)) for i, v in enumerate(doc)) + "]"
    return json.dumps(doc)


def _fields(world: World) -> list[tuple[Any, ...]]:
    return [(*path, name) for path, obj in _objects(world.bundle) for name in obj]


def test_the_document_read_from_text_is_the_bundle(world: World) -> None:
    assert load_bundle(_dumps(world.bundle).encode()) == world.bundle
    assert (
        verify_bundle(load_bundle(_dumps(world.bundle).encode())).notice_id
        == world.bundle["notice_id"]
    )


def test_a_renamed_field_fails_by_its_path_never_reads_as_absent(world: World) -> None:
    """The tamper `bundle verify` once missed: `"before"` became `"b2fore"` in one bracket."""
    text = _dumps(world.bundle)
    at = [i for i in range(len(text)) if text.startswith('"before"', i)][3]
    tampered = (text[:at] + '"b2fore"' + text[at + len('"before"') :]).encode()
    with pytest.raises(BundleError) as failed:
        verify_bundle(load_bundle(tampered))
    assert str(failed.value) == "brackets[3].b2fore: unknown field"


def test_every_field_of_every_object_renamed_dropped_or_repeated_fails_by_its_path(
    world: World,
) -> None:
    """All 7 top-level, 3 key, 3 per entry, 2 per co-signed checkpoint, 4 per bracket fields."""
    fields = _fields(world)
    counts = {k: len(world.bundle[k]) for k in ("entries", "cosigned", "brackets")}
    assert (
        len(fields)
        == 7 + 3 + 3 * counts["entries"] + 2 * counts["cosigned"] + 4 * counts["brackets"]
    )
    assert len(fields) == 7 + 3 + 3 * 6 + 2 * 2 + 4 * 6
    for path in fields:
        where = _where(path)
        renamed = copy.deepcopy(world.bundle)
        holder = renamed
        for step in path[:-1]:
            holder = holder[step]
        holder["x" + path[-1]] = holder.pop(path[-1])
        dropped = copy.deepcopy(renamed)
        _holder(dropped, path).pop("x" + path[-1])
        cases = [
            (renamed, f"{_where((*path[:-1], 'x' + path[-1]))}: unknown field"),
            (dropped, f"{where}: missing"),
            (load_bundle(_dumps(world.bundle, path).encode()), f"{where}: duplicated field"),
        ]
        if path == ("format",):
            cases[:2] = [(b, "format: not a deconflict-bundle/v1 document") for b, _ in cases[:2]]
        for bundle, message in cases:
            with pytest.raises(BundleError) as failed:
                verify_bundle(bundle)
            assert str(failed.value) == message


def _holder(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def test_an_added_field_fails_by_its_path_in_any_object(world: World) -> None:
    objects = _objects(world.bundle)
    assert len(objects) == 1 + 1 + 6 + 2 + 6
    for path, _ in objects:
        bundle = copy.deepcopy(world.bundle)
        (_holder(bundle, (*path, None)) if path else bundle)["extra"] = None
        with pytest.raises(BundleError) as failed:
            verify_bundle(bundle)
        assert str(failed.value) == f"{_where((*path, 'extra'))}: unknown field"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("brackets", 0, "index"), True, "brackets[0].index: must be a int"),
        (("brackets", 0, "before"), False, "brackets[0].before: must be a int"),
        (("brackets", 0, "before"), 3.0, "brackets[0].before: must be a int"),
        (("brackets", 0, "after"), "6", "brackets[0].after: must be a int"),
        (("entries", 0, "index"), True, "entries[0].index: must be a int"),
        (("entries", 0, "inclusion"), {}, "entries[0] (index 0).inclusion: must be a list"),
        (("cosigned", 0, "note"), None, "cosigned[0].note: must be a str"),
        (("keys", "witnesses"), "a", "keys.witnesses: must be a list"),
        (("keys",), [], "keys: must be an object"),
        (("checkpoint",), ["x"], "checkpoint: must be a str"),
        (("entries", 0), [], "entries[0]: must be an object"),
    ],
)
def test_values_keep_their_types(
    world: World, path: tuple[Any, ...], value: Any, message: str
) -> None:
    bundle = copy.deepcopy(world.bundle)
    _holder(bundle, path)[path[-1]] = value
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert str(failed.value) == message


# --- strict reading: entry bodies hold exactly their fact's fields -----------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"disclosure_body": {"colour": "red"}},
            "entries[4].entry.body.colour: unknown field of a disclosure entry",
        ),
        ({"without": ("reason",)}, "entries[4].entry.body.reason: missing from a disclosure entry"),
        (
            {"without": ("min_lead_time_s",)},
            "entries[4].entry.body.min_lead_time_s: missing from a disclosure entry",
        ),
        (
            {"disclosure_body": {"ack_due_at": "2026-06-01T08:15:00Z"}},
            "entries[4].entry.body.ack_due_at: not a log time: '2026-06-01T08:15:00Z' is not "
            "YYYY-MM-DDTHH:MM:SS.ffffffZ",
        ),
        (
            {"disclosure_body": {"short_notice": 0}},
            "entries[4] (index 4): unexpected disclosure body: short_notice is true or false, "
            "not 0",
        ),
        (
            {"disclosure_body": {"lead_time_s": True}},
            "entries[4] (index 4): unexpected disclosure body: a duration is a number, not True",
        ),
        (
            {"disclosure_body": {"party_id": 7}},
            "entries[4] (index 4): unexpected disclosure body: party_id is a party id, not 7",
        ),
    ],
    ids=["unknown", "missing", "missing-min-lead", "time-form", "flag", "duration", "party"],
)
def test_a_signed_body_with_other_fields_or_types_fails_by_its_path(
    change: dict[str, Any], message: str
) -> None:
    """The log signed these entries: what its type declares, and nothing else, verifies."""
    with pytest.raises(BundleError) as failed:
        verify_bundle(build(**change).bundle)
    assert str(failed.value) == message


def test_a_body_field_repeated_in_the_entry_text_fails_by_its_path(world: World) -> None:
    bundle = copy.deepcopy(world.bundle)
    entry = bundle["entries"][4]["entry"]
    bundle["entries"][4]["entry"] = entry.replace('"reason":"member",', '"reason":"member",' * 2)
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert str(failed.value) == "entries[4].entry.body.reason: duplicated field"


def test_only_json_is_read() -> None:
    for raw in [b"{", b'{"a": NaN}', b'{"a": Infinity}', "{}".encode("utf-16"), b"[" * 100_000]:
        with pytest.raises(InvalidInput):
            load_bundle(raw)


def test_a_lone_surrogate_is_refused_by_its_path(world: World) -> None:
    bundle = load_bundle(json.dumps(world.bundle).replace(NOTICE, "\\ud800").encode())
    with pytest.raises(BundleError) as failed:
        verify_bundle(bundle)
    assert str(failed.value) == "notice_id: is not valid Unicode (a lone surrogate)"
