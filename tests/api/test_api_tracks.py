"""The live picture through HTTP: POST /tracks, GET /tracks and GET /tracks/stream, seen by
the world of conftest.py (alpha and bravo share agreements; bravo and charlie share `bc`)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from deconflict.clock import FakeClock
from deconflict.ingest.aircraft import Position
from deconflict.live import LivePicture

FEED = "beast://127.0.0.1:30005"


def track(clock: FakeClock, track_id: str = "t1", ago_s: float = 0.0, **changes: Any) -> Any:
    when = clock.now().timestamp() - ago_s
    body = {
        "id": track_id,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when))
        + f".{round(when % 1 * 1e6):06d}+00:00",
        "lat": 48.85,
        "lon": 2.35,
        "alt_m": 9000.0,
        "gs_mps": 220.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def push(world: Any, who: str | None, tracks: list[Any]) -> Any:
    return world.post(who, "/tracks", {"tracks": tracks})


def public(live: LivePicture, clock: FakeClock, icao24: str = "4840d6") -> None:
    """Unattributed ADS-B traffic, as a feed would hand it over."""
    live.positions(
        FEED,
        [
            Position(
                clock.now().timestamp(),
                icao24,
                43.6,
                1.4,
                10_000.0,
                None,
                230.0,
                45.0,
                2.5,
                "AFR12",
                None,
                False,
                17,
            )
        ],
    )


def seen(world: Any, who: str) -> set[tuple[str | None, str]]:
    response = world.get(who, "/tracks", params={"format": "states"})
    assert response.status_code == 200, response.text
    return {(t["party"], t["id"]) for t in response.json()["tracks"]}


def test_only_a_party_may_push(world: Any, clock: FakeClock) -> None:
    assert push(world, None, [track(clock)]).status_code == 401
    admin = push(world, "admin", [track(clock)])
    assert admin.status_code == 403
    assert admin.headers["content-type"] == "application/problem+json"
    pushed = push(world, "alpha", [track(clock)])
    assert (pushed.status_code, pushed.json()) == (202, {"accepted": 1, "stale": 0})
    assert world.get(None, "/tracks").status_code == 401


def test_each_party_sees_its_own_unattributed_and_all_members_tracks(
    world: Any, app: Any, clock: FakeClock
) -> None:
    terms = {"name": "bc", "members": ["bravo", "charlie"], "track_sharing": "all_members"}
    assert world.client.put("/agreements/bc", json=terms, headers=world.headers("admin")).is_success
    for who in ("alpha", "bravo", "charlie"):
        assert push(world, who, [track(clock, who[0] + "1")]).status_code == 202
    public(app.state.live, clock)
    traffic = (None, "4840d6")
    assert seen(world, "alpha") == {("alpha", "a1"), traffic}  # ab shares alerts only
    assert seen(world, "bravo") == {("bravo", "b1"), ("charlie", "c1"), traffic}
    assert seen(world, "charlie") == {("charlie", "c1"), ("bravo", "b1"), traffic}
    assert seen(world, "admin") == {("alpha", "a1"), ("bravo", "b1"), ("charlie", "c1"), traffic}


def test_tracks_as_geojson(world: Any, app: Any, clock: FakeClock) -> None:
    push(world, "alpha", [track(clock, "a1", 2.0, callsign="ALP1", icao24="3C0001", squawk="7000")])
    public(app.state.live, clock)
    response = world.get("alpha", "/tracks")
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    theirs, mine = collection["features"]  # unattributed traffic sorts first
    assert mine["geometry"] == {"type": "Point", "coordinates": [2.35, 48.85]}
    assert mine["properties"] == {
        "party": "alpha",
        "id": "a1",
        "time": "2026-06-01T07:59:58Z",
        "alt_m": 9000.0,
        "gs_mps": 220.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "callsign": "ALP1",
        "icao24": "3c0001",
        "squawk": "7000",
        "notice_id": None,
        "source": "push",
        "age_s": 2.0,
    }
    assert (theirs["properties"]["party"], theirs["properties"]["source"]) == (None, FEED)
    assert theirs["properties"]["age_s"] == 0.0
    assert world.get("alpha", "/tracks", params={"format": "kml"}).status_code == 422


BAD_TRACKS: list[tuple[str, dict[str, Any], str]] = [
    ("lat over 90", {"lat": 90.001}, "/tracks/0/lat"),
    ("lat under -90", {"lat": -91}, "/tracks/0/lat"),
    ("lon over 180", {"lon": 180.5}, "/tracks/0/lon"),
    ("lon under -180", {"lon": -181}, "/tracks/0/lon"),
    ("negative ground speed", {"gs_mps": -1}, "/tracks/0/gs_mps"),
    ("ground speed over 1500", {"gs_mps": 1500.1}, "/tracks/0/gs_mps"),
    ("altitude under -1 km", {"alt_m": -1000.5}, "/tracks/0/alt_m"),
    ("altitude over 100 km", {"alt_m": 100_001}, "/tracks/0/alt_m"),
    ("track angle 360", {"trk_deg": 360}, "/tracks/0/trk_deg"),
    ("negative track angle", {"trk_deg": -0.1}, "/tracks/0/trk_deg"),
    ("climb over 200", {"vs_mps": 200.5}, "/tracks/0/vs_mps"),
    ("descent over 200", {"vs_mps": -201}, "/tracks/0/vs_mps"),
    ("lat as text", {"lat": "48.85"}, "/tracks/0/lat"),
    ("lat as a boolean", {"lat": True}, "/tracks/0/lat"),
    ("no time zone", {"time": "2026-06-01T08:00:00"}, "/tracks/0/time"),
    ("not a time", {"time": "yesterday"}, "/tracks/0/time"),
    ("6 s ahead", {"ago_s": -6.0}, "/tracks/0/time"),
    ("61 s old", {"ago_s": 61.0}, "/tracks/0/time"),
    ("icao24 not six hex digits", {"icao24": "3c00"}, "/tracks/0/icao24"),
    ("icao24 not hex", {"icao24": "3c000g"}, "/tracks/0/icao24"),
    ("squawk not octal", {"squawk": "7800"}, "/tracks/0/squawk"),
    ("callsign lower case", {"callsign": "abc1"}, "/tracks/0/callsign"),
    ("empty id", {"id": ""}, "/tracks/0/id"),
    ("unknown field", {"colour": "red"}, "/tracks/0/colour"),
    ("missing lat", {"lat": None}, "/tracks/0/lat"),
    ("missing time", {"time": None}, "/tracks/0/time"),
    ("unknown notice", {"notice_id": "ntc_0000000000000deadbeef"}, "/tracks/0/notice_id"),
]


def test_a_batch_with_one_bad_track_is_refused_whole_naming_the_field(
    world: Any, clock: FakeClock
) -> None:
    """Each case of BAD_TRACKS, as the second track of a batch (one world for all of them)."""
    assert len(BAD_TRACKS) == 27
    wrong = []
    for why, change, pointer in BAD_TRACKS:
        fields = {k: v for k, v in change.items() if k != "ago_s"}
        bad = track(clock, "bad", change.get("ago_s", 0.0), **fields)  # a None drops the field
        response = push(world, "alpha", [track(clock, "good"), bad])
        got = (response.status_code, response.headers["content-type"])
        pointers = [e["pointer"] for e in response.json().get("errors", [])]
        if got != (422, "application/problem+json") or pointers != [pointer.replace("/0/", "/1/")]:
            wrong.append(f"{why}: {got} {response.text}")
    assert wrong == []
    assert seen(world, "alpha") == set()


def test_every_bad_field_of_a_batch_is_named(world: Any, clock: FakeClock) -> None:
    batch = [track(clock, "a", lat=91), track(clock), track(clock, "c", gs_mps=-1, vs_mps=300)]
    response = push(world, "alpha", batch)
    assert [e["pointer"] for e in response.json()["errors"]] == [
        "/tracks/0/lat",
        "/tracks/2/gs_mps",
        "/tracks/2/vs_mps",
    ]
    for body in ({}, {"tracks": {}}, [], {"tracks": [], "extra": 1}):
        assert world.post("alpha", "/tracks", body).status_code == 422


def test_notices_a_pusher_may_not_see_are_refused(world: Any, clock: FakeClock) -> None:
    own, disclosed = world.notices["own"], world.notices["disclosed"]
    ok = push(
        world, "alpha", [track(clock, "a", notice_id=own), track(clock, "b", notice_id=disclosed)]
    )
    assert ok.status_code == 202
    for hidden in ("undisclosed", "other_agreement"):
        refused = push(world, "alpha", [track(clock, "c", notice_id=world.notices[hidden])])
        assert refused.status_code == 422
        assert [e["pointer"] for e in refused.json()["errors"]] == ["/tracks/0/notice_id"]
    states = world.get("alpha", "/tracks", params={"format": "states"}).json()["tracks"]
    assert {t["id"]: t.get("notice_id") for t in states} == {"a": own, "b": disclosed}


def test_nan_and_infinity_are_400(world: Any, clock: FakeClock) -> None:
    good = json.dumps({"tracks": [track(clock)]})
    headers = {**world.headers("alpha"), "content-type": "application/json"}
    for bad in ("NaN", "Infinity", "-Infinity"):
        body = good.replace('"lat": 48.85', f'"lat": {bad}')
        response = world.client.post("/tracks", content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert [e["pointer"] for e in response.json()["errors"]] == ["/tracks/0/lat"]
    assert world.client.post("/tracks", content=b"{", headers=headers).status_code == 400
    text = {**world.headers("alpha"), "content-type": "text/plain"}
    assert world.client.post("/tracks", content=good, headers=text).status_code == 400


def test_ten_thousand_tracks_are_taken_and_one_more_is_413(world: Any, clock: FakeClock) -> None:
    """10,000 tracks are more than the app's 64 KiB limit for other routes: this one has its
    own."""
    many = [track(clock, f"t{i}") for i in range(10_000)]
    assert len(json.dumps({"tracks": many})) > 64 * 1024
    taken = push(world, "alpha", many)
    assert (taken.status_code, taken.json()) == (202, {"accepted": 10_000, "stale": 0})
    over = push(world, "alpha", [*many, track(clock, "t10000")])
    assert over.status_code == 413
    assert over.json()["limit_tracks"] == 10_000
    assert world.post("admin", "/parties", {"name": "x" * 70_000}).status_code == 413


def test_a_body_over_16_mib_is_413(world: Any, clock: FakeClock) -> None:
    padding = b" " * (16 * 1024 * 1024)
    body = json.dumps({"tracks": [track(clock)]}).encode() + padding
    headers = {**world.headers("alpha"), "content-type": "application/json"}
    response = world.client.post("/tracks", content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 16 * 1024 * 1024
    under = json.dumps({"tracks": [track(clock)]}).encode() + b" " * (2 * 1024 * 1024)
    assert world.client.post("/tracks", content=under, headers=headers).status_code == 202


def test_older_states_and_duplicate_ids_are_counted_stale(world: Any, clock: FakeClock) -> None:
    assert push(world, "alpha", [track(clock, "a")]).json() == {"accepted": 1, "stale": 0}
    older = push(world, "alpha", [track(clock, "a", 1.0), track(clock, "b", 1.0)])
    assert older.json() == {"accepted": 1, "stale": 1}
    batch = [
        track(clock, "c", 3.0, lat=1.0),
        track(clock, "c", 1.0, lat=2.0),
        track(clock, "c", 2.0),
    ]
    assert push(world, "alpha", batch).json() == {"accepted": 1, "stale": 2}
    states = world.get("alpha", "/tracks", params={"format": "states"}).json()["tracks"]
    (latest,) = [s for s in states if s["id"] == "c"]
    assert (latest["lat"], latest["time"]) == (2.0, "2026-06-01T07:59:59Z")


def _sse(lines: list[str]) -> list[tuple[str, dict[str, Any]]]:
    events, current = [], {}
    for line in lines:
        if not line:
            if "data" in current:
                events.append((current["event"], json.loads(current["data"])))
            current = {}
        elif not line.startswith(":") and ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return events


def test_the_stream_sends_visible_updates_and_lost_tracks(
    world: Any, app: Any, clock: FakeClock
) -> None:
    live: LivePicture = app.state.live

    def feed() -> None:
        deadline = time.monotonic() + 10
        while len(live.bus) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        push(world, "bravo", [track(clock, "b1")])  # bravo's: alpha may not see it
        push(world, "alpha", [track(clock, "a1")])
        public(live, clock)
        clock.advance(11)
        live.tick()

    with world.client.stream(
        "GET", "/tracks/stream", params={"max_events": 4}, headers=world.headers("alpha")
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        pusher = threading.Thread(target=feed)
        pusher.start()
        events = _sse(list(response.iter_lines()))
        pusher.join(timeout=10)
    assert [(kind, data["party"], data["id"]) for kind, data in events] == [
        ("track", "alpha", "a1"),
        ("track", None, "4840d6"),
        ("track_lost", "alpha", "a1"),
        ("track_lost", None, "4840d6"),
    ]
    assert len(live.bus) == 0
    assert world.get(None, "/tracks/stream").status_code == 401
