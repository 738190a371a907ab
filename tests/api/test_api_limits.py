"""The declared limits at the HTTP boundary: each out-of-bounds value is a 4xx problem naming
its field, on SQLite and PostgreSQL alike, and never a 500.

Each section is one class of input that answered 500 once (issue 14): text holding control
characters (PostgreSQL refuses NUL), ids of another form, in a body (422) or a path (404, worded
as for an unknown id).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import anyio
import pytest

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


def _pointers(body: dict[str, Any]) -> list[str]:
    return [e.get("pointer", e.get("parameter")) for e in body["errors"]]


# --------------------------------------------------------------------------- text and body ids

BAD_TEXT = ["\x00", "nul\x00inside", "escape\x1b[2J", "carriage\rreturn", "c1\x85control"]
"""Text with a control character other than tab and newline."""
BAD_IDS = ["", "a/b", "-dash-first", "has space", "x" * 65, "nul\x00", "colon:in"]
"""Ids not of the one form."""


@dataclass(frozen=True)
class Field:
    """One string field of one body route, set to `value` in an otherwise valid body."""

    who: str
    method: str
    path: Callable[[Any], str]
    body: Callable[[Any, Any, str], dict[str, Any]]
    pointer: str


def _notice(feature: Any, **changes: Any) -> dict[str, Any]:
    return {"agreement_id": "ab", "purpose": "drill", "volumes": [feature()], **changes}


def _terms(**changes: Any) -> dict[str, Any]:
    return {"name": "terms", "members": ["alpha", "bravo"], **changes}


def _own(world: Any, route: str) -> str:
    return f"/notices/{world.notices['own']}/{route}"


TEXT_FIELDS: dict[str, Field] = {
    "notice purpose": Field(
        "alpha", "POST", lambda w: "/notices", lambda w, f, v: _notice(f, purpose=v), "/purpose"
    ),
    "amended purpose": Field(
        "alpha",
        "POST",
        lambda w: _own(w, "amend"),
        lambda w, f, v: {"volumes": [f()], "purpose": v},
        "/purpose",
    ),
    "cancellation reason": Field(
        "alpha", "POST", lambda w: _own(w, "cancel"), lambda w, f, v: {"reason": v}, "/reason"
    ),
    "acknowledgement text": Field(
        "alpha",
        "POST",
        lambda w: f"/notices/{w.notices['disclosed']}/acknowledgements",
        lambda w, f, v: {"version": 1, "text": v},
        "/text",
    ),
    "protected area name": Field(
        "alpha",
        "POST",
        lambda w: "/protected-areas",
        lambda w, f, v: {"name": v, "volume": f()},
        "/name",
    ),
    "hazard name": Field(
        "alpha",
        "POST",
        lambda w: "/hazards",
        lambda w, f, v: {"agreement_id": "ab", "name": v, "volume": f()},
        "/name",
    ),
    "party name": Field(
        "admin", "POST", lambda w: "/parties", lambda w, f, v: {"name": v}, "/name"
    ),
    "agreement name": Field(
        "admin", "POST", lambda w: "/agreements", lambda w, f, v: _terms(name=v), "/name"
    ),
    "new agreement terms name": Field(
        "admin", "PUT", lambda w: "/agreements/ab", lambda w, f, v: _terms(name=v), "/name"
    ),
}

ID_FIELDS: dict[str, Field] = {
    "notice agreement_id": Field(
        "alpha",
        "POST",
        lambda w: "/notices",
        lambda w, f, v: _notice(f, agreement_id=v),
        "/agreement_id",
    ),
    "hazard agreement_id": Field(
        "alpha",
        "POST",
        lambda w: "/hazards",
        lambda w, f, v: {"agreement_id": v, "name": "crane", "volume": f()},
        "/agreement_id",
    ),
    "chosen party id": Field(
        "admin", "POST", lambda w: "/parties", lambda w, f, v: {"name": "P", "id": v}, "/id"
    ),
    "chosen agreement id": Field(
        "admin", "POST", lambda w: "/agreements", lambda w, f, v: _terms(id=v), "/id"
    ),
    "agreement member": Field(
        "admin",
        "POST",
        lambda w: "/agreements",
        lambda w, f, v: _terms(members=["alpha", v]),
        "/members/1",
    ),
}


def _send(world: Any, field: Field, body: dict[str, Any]) -> Any:
    return world.client.request(
        field.method, field.path(world), json=body, headers=world.headers(field.who)
    )


@pytest.mark.parametrize("name", sorted(TEXT_FIELDS))
def test_text_with_a_control_character_is_422_at_its_field(
    world: Any, feature: Any, name: str
) -> None:
    field = TEXT_FIELDS[name]
    for value in BAD_TEXT:
        body = _problem(_send(world, field, field.body(world, feature, value)), 422)
        assert _pointers(body) == [field.pointer], value


@pytest.mark.parametrize("name", sorted(TEXT_FIELDS))
def test_text_with_tab_and_newline_is_taken(world: Any, feature: Any, name: str) -> None:
    field = TEXT_FIELDS[name]
    response = _send(world, field, field.body(world, feature, "two\tcolumns\nand lines"))
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize("name", sorted(ID_FIELDS))
def test_an_id_of_another_form_in_a_body_is_422_at_its_field(
    world: Any, feature: Any, name: str
) -> None:
    field = ID_FIELDS[name]
    for value in BAD_IDS:
        body = _problem(_send(world, field, field.body(world, feature, value)), 422)
        assert _pointers(body) == [field.pointer], value


def test_a_chosen_id_may_use_the_whole_id_form(world: Any) -> None:
    """Upper case and dots, which party and agreement ids did not allow before the one form."""
    party = world.post("admin", "/parties", {"name": "North", "id": "North.Air-2"})
    assert party.status_code == 201, party.text
    agreement = world.post(
        "admin", "/agreements", _terms(id="AB.v2", members=["alpha", "North.Air-2"])
    )
    assert agreement.status_code == 201, agreement.text
    assert world.get("admin", "/agreements/AB.v2").json()["members"] == ["alpha", "North.Air-2"]


def test_a_cursor_that_is_no_notice_id_is_422(world: Any) -> None:
    for cursor in ("\x00", "a b", "x" * 65):
        body = _problem(world.get("alpha", "/notices", params={"cursor": cursor}), 422)
        assert _pointers(body) == ["cursor"]


def test_a_hazard_filter_that_is_no_agreement_id_is_422(world: Any) -> None:
    body = _problem(world.get("alpha", "/hazards", params={"agreement_id": "\x00"}), 422)
    assert _pointers(body) == ["agreement_id"]


# ------------------------------------------------------------------------------- ids in paths

UNKNOWN = "unknown-id-0"
"""An id of the one form that names nothing."""


@dataclass(frozen=True)
class PathRoute:
    who: str
    method: str
    template: str
    body: Callable[[Any], dict[str, Any]] | None = None


PATH_ROUTES = [
    PathRoute("alpha", "GET", "/notices/{}"),
    PathRoute("alpha", "POST", "/notices/{}/submit"),
    PathRoute("alpha", "POST", "/notices/{}/amend", lambda f: {"volumes": [f()]}),
    PathRoute("alpha", "POST", "/notices/{}/cancel", lambda f: {"reason": "done"}),
    PathRoute("alpha", "POST", "/notices/{}/acknowledgements", lambda f: {"version": 1}),
    PathRoute("alpha", "GET", "/notices/{}/acknowledgements"),
    PathRoute("admin", "GET", "/parties/{}"),
    PathRoute("alpha", "GET", "/parties/{}"),
    PathRoute(
        "admin", "POST", "/parties/{}/keys", lambda f: {"purpose": "ack", "key_b64": "A" * 43 + "="}
    ),
    PathRoute("admin", "GET", "/parties/{}/aircraft"),
    PathRoute("admin", "PUT", "/parties/{}/aircraft", lambda f: {"callsign_prefixes": ["ZZ"]}),
    PathRoute("admin", "POST", "/parties/{}/token"),
    PathRoute("admin", "DELETE", "/parties/{}/token"),
    PathRoute("admin", "GET", "/agreements/{}"),
    PathRoute("alpha", "GET", "/agreements/{}"),
    PathRoute("admin", "PUT", "/agreements/{}", lambda f: _terms()),
    PathRoute("alpha", "DELETE", "/protected-areas/{}"),
    PathRoute("alpha", "DELETE", "/hazards/{}"),
    PathRoute("admin", "GET", "/log/cosigned/{}"),
    PathRoute("alpha", "GET", "/log/cosigned/{}"),
    PathRoute("admin", "DELETE", "/feeds/{}"),
]
BAD_PATH_IDS = ["\x00", "nul\x00", "has space", "x" * 65, "-dash-first", "colon:in", "caf\u00e9"]


def _answer(world: Any, feature: Any, route: PathRoute, resource: str) -> tuple[Any, ...]:
    """The answer for `resource`, its id taken out of the problem's text."""
    body = route.body(feature) if route.body is not None else None
    response = world.client.request(
        route.method,
        route.template.format(quote(resource, safe="")),
        json=body,
        headers=world.headers(route.who),
    )
    if response.status_code != 404:
        return response.status_code, response.text
    problem = _problem(response, 404)
    problem["detail"] = problem["detail"].replace(repr(resource), "<id>")
    problem["instance"] = problem["instance"].replace(resource, "<id>")
    return response.headers["content-type"], problem


def test_an_id_of_another_form_in_a_path_answers_as_an_unknown_one(
    world: Any, feature: Any
) -> None:
    unlike: dict[str, Any] = {}
    for route in PATH_ROUTES:
        unknown = _answer(world, feature, route, UNKNOWN)
        for resource in BAD_PATH_IDS:
            answer = _answer(world, feature, route, resource)
            if answer != unknown:
                unlike[f"{route.who} {route.method} {route.template} {resource!r}"] = answer
    assert unlike == {}


# ------------------------------------------------------------------- integers past the columns

HUGE = [2**31, 2**63, 2**70, 1180591620717411303424]
"""Integers past the 32-bit columns that hold versions and event ids."""


def _queried(world: Any, who: str, path: str, name: str, value: int) -> Any:
    return world.get(who, path, params={name: str(value)})


@pytest.mark.parametrize(
    ("who", "path", "name"),
    [
        ("alpha", "/events", "after"),
        ("alpha", "/events/stream", "after"),
        ("alpha", "/notices/{own}", "version"),
        ("admin", "/agreements/ab", "version"),
    ],
)
def test_an_integer_past_its_column_in_a_query_is_422(
    world: Any, who: str, path: str, name: str
) -> None:
    path = path.format(own=world.notices["own"])
    for value in HUGE:
        body = _problem(_queried(world, who, path, name, value), 422)
        assert _pointers(body) == [name], value


def test_the_largest_integer_of_a_column_is_taken(world: Any) -> None:
    largest = 2**31 - 1
    assert _queried(world, "alpha", "/events", "after", largest).json()["items"] == []
    _problem(_queried(world, "admin", "/agreements/ab", "version", largest), 404)
    _problem(_queried(world, "alpha", f"/notices/{world.notices['own']}", "version", largest), 404)


def _first_answer(app: Any, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """The status and first body chunk of a GET sent straight to the app, the client hanging
    up after them (a stream would otherwise never end); (0, b"") if none came within 5 s."""
    status, body = 0, b""

    async def call() -> None:
        answered = anyio.Event()
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")
                answered.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        with anyio.move_on_after(5):
            await app(scope, receive, send)

    anyio.run(call)
    return status, body


def test_a_last_event_id_past_its_column_is_422(app: Any, world: Any) -> None:
    headers = {**world.headers("alpha"), "Last-Event-ID": str(2**63)}
    status, body = _first_answer(app, "/events/stream", headers)
    assert status == 422, body
    assert [e["parameter"] for e in json.loads(body)["errors"]] == ["Last-Event-ID"]


def test_an_acknowledged_version_past_its_column_is_422(world: Any) -> None:
    path = f"/notices/{world.notices['disclosed']}/acknowledgements"
    for value in HUGE:
        body = _problem(world.post("alpha", path, {"version": value}), 422)
        assert _pointers(body) == ["/version"], value


# ------------------------------------------------------------------ times at the calendar's edge

EDGE_TIMES = [
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999-14:00",
    "9999-12-31T23:59:59+23:59",
    "0001-01-01T00:00:00+01:00",
    "2201-01-01T00:00:00Z",
    "2026-06-01T08:00:00+02:60",
]
"""Ends the service once took and then overflowed on (adding a buffer to 9999-12-31), offsets
past the calendar, and years past the declared ones."""


def test_a_volume_ending_at_the_calendars_edge_is_422(world: Any, feature: Any) -> None:
    """An end in 9999 was taken (201), to overflow later wherever a buffer or deadline was
    added to it; it is refused where it arrives."""
    for end in EDGE_TIMES:
        volume = feature()
        volume["properties"]["time_end"] = end
        notice = {"agreement_id": "ab", "purpose": "far", "volumes": [volume]}
        body = _problem(world.post("alpha", "/notices", notice), 422)
        assert _pointers(body) == ["/volumes/0/properties/time_end"], end


def test_a_received_at_at_the_calendars_edge_is_422(world: Any) -> None:
    path = f"/notices/{world.notices['disclosed']}/acknowledgements"
    for received_at in EDGE_TIMES:
        body = {"version": 1, "received_at": received_at}
        assert _pointers(_problem(world.post("alpha", path, body), 422)) == ["/received_at"]


# --------------------------------------------------------------------------------- altitudes

ALTITUDES_OUT = [
    ({"alt_lower_m": -1000.5}, "alt_lower_m"),
    ({"alt_upper_m": 100_000.5}, "alt_upper_m"),
    ({"alt_upper_m": 1e308}, "alt_upper_m"),
    ({"alt_lower_m": -1e308}, "alt_lower_m"),
    ({"alt_lower_fl": 10.0, "alt_upper_fl": 3281.0}, "alt_upper_fl"),
    ({"alt_lower_fl": -33.0, "alt_upper_fl": 100.0}, "alt_lower_fl"),
]
"""Altitudes out of [-1,000 m, 100 km]; flight levels out of the same band once in metres
(FL 3281 is 100,009 m, FL -33 is -1,006 m)."""


def _at(feature: Any, properties: dict[str, Any]) -> dict[str, Any]:
    volume = feature()
    if any(key.endswith("_fl") for key in properties):
        del volume["properties"]["alt_lower_m"], volume["properties"]["alt_upper_m"]
    volume["properties"].update(properties)
    return volume


def test_an_altitude_out_of_bounds_is_422_at_its_field(world: Any, feature: Any) -> None:
    for properties, key in ALTITUDES_OUT:
        notice = _notice(feature, volumes=[_at(feature, properties)])
        body = _problem(world.post("alpha", "/notices", notice), 422)
        assert _pointers(body) == [f"/volumes/0/properties/{key}"], properties
        area = {"name": "high", "volume": _at(feature, properties)}
        body = _problem(world.post("alpha", "/protected-areas", area), 422)
        assert _pointers(body) == [f"/volume/properties/{key}"], properties


def test_the_altitude_bounds_are_taken(world: Any, feature: Any) -> None:
    for properties in (
        {"alt_lower_m": -1000.0, "alt_upper_m": 100_000.0},
        {"alt_lower_fl": -32.0, "alt_upper_fl": 3280.0},
    ):
        notice = _notice(feature, volumes=[_at(feature, properties)])
        assert world.post("alpha", "/notices", notice).status_code == 201, properties


def test_an_f3548_altitude_out_of_bounds_is_422_at_its_value(world: Any, clock: Any) -> None:
    start = clock.now() + timedelta(hours=2)

    def volume4d(lower_m: float, upper_m: float) -> dict[str, Any]:
        def altitude(value: float) -> dict[str, Any]:
            return {"value": value, "reference": "W84", "units": "M"}

        return {
            "volume": {
                "outline_circle": {
                    "center": {"lat": 10.0, "lng": 30.0},
                    "radius": {"value": 5000.0, "units": "M"},
                },
                "altitude_lower": altitude(lower_m),
                "altitude_upper": altitude(upper_m),
            },
            "time_start": {"value": start.isoformat(), "format": "RFC3339"},
            "time_end": {"value": (start + timedelta(hours=1)).isoformat(), "format": "RFC3339"},
        }

    for lower, upper, where in ((-1001.0, 0.0, "lower"), (0.0, 100_001.0, "upper")):
        notice = {
            "agreement_id": "ab",
            "purpose": "f3548",
            "volumes_f3548": [volume4d(lower, upper)],
        }
        body = _problem(world.post("alpha", "/notices", notice), 422)
        assert _pointers(body) == [f"/volumes_f3548/0/volume/altitude_{where}/value"]
    notice = {"agreement_id": "ab", "purpose": "f3548", "volumes_f3548": [volume4d(-1000.0, 1e5)]}
    assert world.post("alpha", "/notices", notice).status_code == 201


# --------------------------------------------------------------------------- agreement terms

DAYS_30 = 30 * 24 * 3600.0
TERMS_OUT = [
    ({"ack_deadline_s": 1e308}, "/ack_deadline_s"),
    ({"buffer_t_s": 1e308}, "/buffer_t_s"),
    ({"escalation_after_s": [0.0, 1e308]}, "/escalation_after_s/1"),
    ({"min_lead_time_s": DAYS_30 + 1}, "/min_lead_time_s"),
    ({"ack_deadline_s": DAYS_30 + 1}, "/ack_deadline_s"),
    ({"buffer_t_s": DAYS_30 + 1}, "/buffer_t_s"),
    ({"escalation_after_s": [DAYS_30 + 1]}, "/escalation_after_s/0"),
    ({"escalation_after_s": [60.0 * n for n in range(17)]}, "/escalation_after_s"),
    ({"buffer_h_m": 1_000_000.5}, "/buffer_h_m"),
    ({"buffer_v_m": 10_000.5}, "/buffer_v_m"),
    ({"datum_margin_m": 10_000.5}, "/datum_margin_m"),
    ({"members": [f"p{n}" for n in range(1001)]}, "/members"),
]
"""Terms past limits': the first three were taken (201) and then every notice under them
answered 500 (a timedelta overflow, `ceil(inf)` in the strategic index)."""
TERMS_AT_THE_BOUNDS = {
    "min_lead_time_s": DAYS_30,
    "ack_deadline_s": DAYS_30,
    "escalation_after_s": [DAYS_30] * 16,
    "buffer_h_m": 1_000_000.0,
    "buffer_v_m": 10_000.0,
    "buffer_t_s": DAYS_30,
    "datum_margin_m": 10_000.0,
}


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_terms_past_their_bounds_are_422_at_the_field(world: Any, method: str) -> None:
    path = "/agreements" if method == "POST" else "/agreements/ab"
    for changes, pointer in TERMS_OUT:
        response = world.client.request(
            method, path, json=_terms(**changes), headers=world.headers("admin")
        )
        assert _pointers(_problem(response, 422)) == [pointer], changes
    assert world.get("admin", "/agreements/ab").json()["version"] == 1


def test_terms_at_their_bounds_take_notices(world: Any, feature: Any) -> None:
    terms = _terms(id="widest", **TERMS_AT_THE_BOUNDS)
    assert world.post("admin", "/agreements", terms).status_code == 201
    for who, lon in (("alpha", 30.0), ("bravo", 30.05)):
        notice = {"agreement_id": "widest", "purpose": who, "volumes": [feature(lon)]}
        response = world.post(who, "/notices", notice)
        assert response.status_code == 201, response.text
    assert response.json()["conflicts"], "the buffers make the two notices conflict"


# ------------------------------------------------------------------------------- JSON depth


def _nest(levels: int) -> bytes:
    """JSON objects nested `levels` deep: 1 is {}, 2 is {"a":{}} (as text: json.dumps would
    recurse past Python's stack)."""
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


def _deep_notice(feature: Any, depth: int) -> bytes:
    """A notice body nesting `depth` levels: body, volumes, feature, properties, then more."""
    volume = feature()
    volume["properties"]["note"] = "NOTE"
    text = json.dumps(_notice(feature, volumes=[volume])).encode()
    return text.replace(b'"NOTE"', _nest(depth - 4))


def _raw(world: Any, who: str, path: str, raw: bytes) -> Any:
    headers = {**world.headers(who), "content-type": "application/json"}
    return world.client.post(path, content=raw, headers=headers)


def test_a_body_nested_past_32_levels_is_400(world: Any, feature: Any) -> None:
    for depth in (33, 254, 255, 500, 5000):
        body = _problem(_raw(world, "alpha", "/notices", _deep_notice(feature, depth)), 400)
        assert body["type"] == "urn:deconflict:problem:malformed-body"
        assert "nests deeper than 32 levels" in body["detail"], depth
    # POST /tracks writes nothing back: its typed fields refuse the nesting as invalid (422).
    tracks = b'{"tracks": [' + _nest(600) + b"]}"
    assert _problem(_raw(world, "alpha", "/tracks", tracks), 422)["errors"]


def test_a_body_nested_32_levels_is_read(world: Any, feature: Any) -> None:
    response = _raw(world, "alpha", "/notices", _deep_notice(feature, 32))
    assert response.status_code == 201, response.text


def test_brackets_inside_strings_do_not_count(world: Any, feature: Any) -> None:
    response = _raw(
        world, "alpha", "/notices", json.dumps(_notice(feature, purpose="[{" * 500)).encode()
    )
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------ the database out of reach


def test_a_database_out_of_reach_is_503_with_retry_after_then_back(
    app: Any,
    world: Any,
    feature: Any,
    out_of_reach: Callable[[Any], AbstractContextManager[None]],
) -> None:
    """A lost or refused connection (SQLAlchemy's OperationalError) was a 500."""
    service = app.state.service
    with out_of_reach(service):
        for response in (
            world.get("alpha", f"/notices/{world.notices['own']}"),
            world.post("alpha", "/notices", _notice(feature)),
            world.get("admin", "/agreements"),
        ):
            body = _problem(response, 503)
            assert body["type"] == "urn:deconflict:problem:unavailable"
            assert int(response.headers["Retry-After"]) > 0
            assert "psycopg" not in response.text
            assert "sqlite" not in response.text.lower()
    assert world.get("alpha", f"/notices/{world.notices['own']}").status_code == 200
