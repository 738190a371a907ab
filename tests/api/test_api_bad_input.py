"""The issue's bad-input list: each a 4xx problem naming the field, and nothing stored changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pytest

JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Case:
    who: str
    method: str
    path: str
    status: int
    pointers: list[str] | None
    """Pointers the problem must name (None: only a problem body is required)."""
    body: Callable[[Any, Any], Any] | None = None
    raw: bytes | None = None
    setup: Callable[[Any], None] | None = None


def _notice(volume: dict[str, Any]) -> dict[str, Any]:
    return {"agreement_id": "ab", "purpose": "bad", "volumes": [volume]}


def _with_geometry(feature: Any, coordinates: list[Any]) -> dict[str, Any]:
    volume = feature()
    volume["geometry"]["coordinates"] = coordinates
    return volume


def _with_properties(feature: Any, **changes: object) -> dict[str, Any]:
    volume = feature()
    volume["properties"].update(changes)
    return volume


def _circle(feature: Any, radius_m: float) -> dict[str, Any]:
    volume = feature()
    volume["geometry"] = {"type": "Point", "coordinates": [30.0, 10.0]}
    volume["properties"]["radius_m"] = radius_m
    return volume


def _cancel_own(world: Any) -> None:
    response = world.post("alpha", f"/notices/{world.notices['own']}/cancel", {})
    assert response.status_code == 200, response.text


def _ack_disclosed(world: Any) -> None:
    path = f"/notices/{world.notices['disclosed']}/acknowledgements"
    assert world.post("alpha", path, {"version": 1}).status_code == 201


BOWTIE = [[[30.0, 10.0], [30.2, 10.2], [30.2, 10.0], [30.0, 10.2], [30.0, 10.0]]]
SQUARE = [[[30.0, 10.0], [30.2, 10.0], [30.2, 10.2], [30.0, 10.2], [30.0, 10.0]]]

CASES: dict[str, Case] = {
    "self-intersecting polygon": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/geometry/coordinates"],
        lambda w, f: _notice(_with_geometry(f, BOWTIE)),
    ),
    "latitude outside 90": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/geometry/coordinates/0/2/1"],
        lambda w, f: _notice(
            _with_geometry(f, [[[30.0, 10.0], [30.2, 10.0], [30.2, 95.0], [30.0, 10.0]]])
        ),
    ),
    "longitude outside 180": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/geometry/coordinates/0/1/0"],
        lambda w, f: _notice(
            _with_geometry(f, [[[30.0, 10.0], [181.0, 10.0], [30.2, 10.2], [30.0, 10.0]]])
        ),
    ),
    "time end before start": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/properties/time_end"],
        lambda w, f: _notice(
            _with_properties(f, time_start="2026-06-01T12:00:00Z", time_end="2026-06-01T11:00:00Z")
        ),
    ),
    "naive timestamp": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/properties/time_start"],
        lambda w, f: _notice(_with_properties(f, time_start="2026-06-01T12:00:00")),
    ),
    "lower altitude above upper": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/properties/alt_lower_m"],
        lambda w, f: _notice(_with_properties(f, alt_lower_m=5000.0, alt_upper_m=1000.0)),
    ),
    "radius zero": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/properties/radius_m"],
        lambda w, f: _notice(_circle(f, 0.0)),
    ),
    "radius negative": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/0/properties/radius_m"],
        lambda w, f: _notice(_circle(f, -5.0)),
    ),
    "second volume bad in a feature collection": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/volumes/features/1/properties/time_start"],
        lambda w, f: {
            "agreement_id": "ab",
            "purpose": "bad",
            "volumes": {
                "type": "FeatureCollection",
                "features": [f(), _with_properties(f, time_start="yesterday")],
            },
        },
    ),
    "unknown agreement": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/agreement_id"],
        lambda w, f: {**_notice(f()), "agreement_id": "no-such-agreement"},
    ),
    "agreement alpha is not in": Case(
        "alpha",
        "POST",
        "/notices",
        422,
        ["/agreement_id"],
        lambda w, f: {**_notice(f()), "agreement_id": "bc"},
    ),
    "unknown party in an agreement": Case(
        "admin",
        "POST",
        "/agreements",
        422,
        ["/members/1"],
        lambda w, f: {"name": "x", "members": ["alpha", "nobody"]},
    ),
    "unknown agreement for a hazard": Case(
        "alpha",
        "POST",
        "/hazards",
        422,
        ["/agreement_id"],
        lambda w, f: {"agreement_id": "nothing", "name": "x", "volume": f()},
    ),
    "bad protected area volume": Case(
        "alpha",
        "POST",
        "/protected-areas",
        422,
        ["/volume/geometry/coordinates"],
        lambda w, f: {"name": "x", "volume": _with_geometry(f, BOWTIE)},
    ),
    "acknowledging a notice not disclosed to you": Case(
        "alpha",
        "POST",
        "/notices/{undisclosed}/acknowledgements",
        404,
        None,
        lambda w, f: {"version": 1},
    ),
    "acknowledging twice": Case(
        "alpha",
        "POST",
        "/notices/{disclosed}/acknowledgements",
        409,
        None,
        lambda w, f: {"version": 1},
        setup=_ack_disclosed,
    ),
    "amending a cancelled notice": Case(
        "alpha",
        "POST",
        "/notices/{own}/amend",
        409,
        None,
        lambda w, f: {"volumes": [f()]},
        setup=_cancel_own,
    ),
    "non-JSON body": Case("alpha", "POST", "/notices", 400, [""], raw=b"volumes=1&purpose=x"),
    "truncated JSON": Case("alpha", "POST", "/notices", 400, [""], raw=b'{"agreement_id": "ab"'),
    "10 MB body": Case(
        "alpha", "POST", "/notices", 413, None, raw=b'{"purpose": "' + b"x" * 10_000_000 + b'"}'
    ),
    "NaN": Case(
        "alpha",
        "POST",
        "/notices",
        400,
        ["/volumes/0/properties/alt_upper_m"],
        raw=orjson.dumps(
            {"agreement_id": "ab", "purpose": "x", "volumes": [{"properties": {"alt_upper_m": 1}}]}
        ).replace(b'"alt_upper_m":1', b'"alt_upper_m":NaN'),
    ),
    "infinite number": Case(
        "alpha",
        "POST",
        "/notices",
        400,
        ["/volumes/0/geometry/coordinates/0/0/0"],
        raw=b'{"agreement_id": "ab", "purpose": "x", "volumes": [{"type": "Feature", '
        b'"geometry": {"type": "Polygon", "coordinates": [[[1e999, 0]]]}}]}',
    ),
}


def _snapshot(world: Any) -> dict[str, Any]:
    return {
        who: {
            "notices": world.get(who, "/notices", params={"limit": 500}).json(),
            "events": world.get(who, "/events", params={"limit": 500}).json(),
            "agreements": world.get(who, "/agreements").json(),
            "areas": world.get(who, "/protected-areas").json(),
            "hazards": world.get(who, "/hazards").json(),
        }
        for who in ("alpha", "bravo", "charlie")
    } | {"parties": world.get("admin", "/parties").json()}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_changes_nothing(world: Any, feature: Any, name: str) -> None:
    case = CASES[name]
    if case.setup is not None:
        case.setup(world)
    _snapshot(world)  # the first fetch of a disclosed notice is itself recorded
    before = _snapshot(world)
    path = case.path.format(**world.notices)
    headers = world.headers(case.who)
    if case.raw is not None:
        response = world.client.request(
            case.method, path, content=case.raw, headers={**headers, **JSON}
        )
    else:
        assert case.body is not None
        response = world.client.request(
            case.method, path, json=case.body(world, feature), headers=headers
        )
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == case.status
    assert problem["detail"]
    if case.pointers is not None:
        assert sorted({e["pointer"] for e in problem["errors"]}) == sorted(case.pointers)
    assert _snapshot(world) == before


def test_acknowledging_twice_reports_the_original_time(world: Any, clock: Any) -> None:
    path = f"/notices/{world.notices['disclosed']}/acknowledgements"
    first = world.post("alpha", path, {"version": 1}).json()
    clock.advance(600)
    again = world.post("alpha", path, {"version": 1})
    assert again.status_code == 409
    original = datetime.fromisoformat(first["acknowledged_at"])
    assert datetime.fromisoformat(again.json()["acknowledged_at"]) == original
