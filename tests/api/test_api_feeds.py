"""Receiver feeds through HTTP (admin only), against a local TCP server serving a real dump1090
recording: started, shown, decoded onto the picture with their owner, stopped."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deconflict.live import LivePicture
from tcp_server import serving, wait_for

SAMPLE = Path(__file__).parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/data/adsb")


def sending(data: bytes, hold_s: float = 3.0) -> Callable[[socket.socket, int], None]:
    """Send `data` to each connection, then hold it open for `hold_s`."""

    def send(connection: socket.socket, _n: int) -> None:
        connection.sendall(data)
        time.sleep(hold_s)

    return send


@pytest.fixture
def live(app: Any) -> Iterator[LivePicture]:
    picture: LivePicture = app.state.live
    yield picture
    picture.close()


def test_only_the_admin_manages_feeds(world: Any, live: LivePicture) -> None:
    body = {"address": "beast://127.0.0.1:9"}
    for who, status in (("alpha", 403), (None, 401)):
        assert world.get(who, "/feeds").status_code == status
        assert world.post(who, "/feeds", body).status_code == status
        assert (
            world.client.delete("/feeds/feed-1", headers=world.headers(who)).status_code == status
        )
    assert world.get("admin", "/feeds").json() == {"items": []}
    for bad in ("tcp://127.0.0.1:9", "beast://127.0.0.1", "beast://127.0.0.1:0", ""):
        response = world.post("admin", "/feeds", {"address": bad})
        assert response.status_code == 422
        assert [e["pointer"] for e in response.json()["errors"]] == ["/address"]
    assert world.post("admin", "/feeds", {"address": 30005}).status_code == 422
    assert world.client.delete("/feeds/feed-9", headers=world.headers("admin")).status_code == 404


@needs_sample
def test_a_beast_feed_puts_its_aircraft_on_the_picture_with_their_owner(
    world: Any, live: LivePicture
) -> None:
    declared = world.client.put(
        "/parties/alpha/aircraft",
        json={"icao24_ranges": [["485200", "4852ff"]]},
        headers=world.headers("alpha"),
    )
    assert declared.status_code == 200
    with serving(sending(SAMPLE.read_bytes())) as port:
        address = f"beast://127.0.0.1:{port}"
        created = world.post("admin", "/feeds", {"address": address})
        assert created.status_code == 201, created.text
        feed = created.json()
        assert (feed["kind"], feed["address"]) == ("beast", address)
        assert created.headers["location"] == f"/feeds/{feed['id']}"
        assert world.post("admin", "/feeds", {"address": address}).status_code == 409

        def tracks(who: str) -> list[dict[str, Any]]:
            response = world.get(who, "/tracks", params={"format": "states"})
            return list(response.json()["tracks"])

        wait_for(lambda: len(tracks("admin")) == 1)
        (state,) = tracks("alpha")
        assert (state["party"], state["id"], state["icao24"]) == ("alpha", "48520a", "48520a")
        assert abs(state["lat"] - 43.65) < 0.02
        assert abs(state["lon"] - 1.23) < 0.01
        assert tracks("bravo") == []  # alpha's own, and ab shares alerts only
        geojson = world.get("admin", "/tracks").json()["features"]
        assert geojson[0]["properties"]["source"] == address
        wait_for(
            lambda: (
                world.get("admin", "/feeds").json()["items"][0]["counts"].get("frames", 0) >= 239
            )
        )
        (shown,) = world.get("admin", "/feeds").json()["items"]
        assert shown["connected"] is True
        assert shown["last_frame_at"] is not None
        assert shown["frames_per_s"] > 0
        assert shown["connects"] == 1
        gone = world.client.delete(f"/feeds/{feed['id']}", headers=world.headers("admin"))
        assert gone.status_code == 204
        assert world.get("admin", "/feeds").json() == {"items": []}
        again = world.client.delete(f"/feeds/{feed['id']}", headers=world.headers("admin"))
        assert again.status_code == 404


def test_an_sbs_feed_that_cannot_connect_is_shown_disconnected(
    world: Any, live: LivePicture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    created = world.post("admin", "/feeds", {"address": f"sbs://127.0.0.1:{port}"})
    assert created.status_code == 201
    assert created.json()["kind"] == "sbs"
    wait_for(
        lambda: (
            world.get("admin", "/feeds").json()["items"][0]["counts"].get("connect_failed", 0) >= 1
        )
    )
    (shown,) = world.get("admin", "/feeds").json()["items"]
    assert (shown["connected"], shown["last_frame_at"], shown["frames_per_s"]) == (False, None, 0)
