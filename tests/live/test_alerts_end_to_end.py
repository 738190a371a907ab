"""Issue 16's end-to-end case: a real server, three parties (north and south in one agreement,
east in another with north), and two aircraft pushed converging and then parting. The alert
reaches north's and south's streams when they converge and clears when they part; east hears
nothing; the log holds the entries."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from serving import ADMIN_TOKEN, serving

WAIT_S = 20.0


class Stream:
    """A party's `GET /events/stream`, read on a thread: each event as (kind, data)."""

    def __init__(self, url: str, token: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._url, self._token = url, token
        self._stop = threading.Event()
        self._open = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._open.wait(WAIT_S), "the stream did not open"

    def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self._token}"}
        timeout = httpx.Timeout(5.0, read=1.0)
        with httpx.Client(base_url=self._url, timeout=timeout) as client:
            while not self._stop.is_set():
                try:
                    with client.stream("GET", "/events/stream", headers=headers) as answer:
                        self._open.set()
                        kind = None
                        for line in answer.iter_lines():
                            if line.startswith("event: "):
                                kind = line.removeprefix("event: ")
                            elif line.startswith("data: ") and kind is not None:
                                self.events.append((kind, json.loads(line.removeprefix("data: "))))
                            if self._stop.is_set():
                                return
                except httpx.ReadTimeout:
                    continue

    def alerts(self, kind: str) -> list[dict[str, Any]]:
        return [data["data"]["alert"] for k, data in self.events if k == kind]

    def wait_for(self, kind: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            found = self.alerts(kind)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {kind} within {WAIT_S} s; heard {self.events}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _track(track_id: str, lon: float, trk_deg: float) -> dict[str, Any]:
    return {
        "id": track_id,
        "time": _now(),
        "lat": 48.0,
        "lon": lon,
        "alt_m": 9000.0,
        "gs_mps": 200.0,
        "trk_deg": trk_deg,
        "vs_mps": 0.0,
    }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with serving(tmp_path) as (_, first):
        url = first.split()[3]
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        tokens = {}
        for party in ("north", "south", "east"):
            answer = admin.post("/parties", json={"name": party.title(), "id": party})
            assert answer.status_code == 201, answer.text
            tokens[party] = answer.json()["token"]
        for name, members in (("ns", ["north", "south"]), ("ne", ["north", "east"])):
            answer = admin.post(
                "/agreements",
                json={"name": name, "id": name, "members": members, "clear_after_s": 1.0},
            )
            assert answer.status_code == 201, answer.text
        yield {"url": url, "tokens": tokens, "admin": admin}
        admin.close()


def _push(url: str, token: str, track: dict[str, Any]) -> None:
    answer = httpx.post(
        f"{url}/tracks", json={"tracks": [track]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 202, answer.text


def test_converging_aircraft_alert_both_parties_and_no_one_else(world: dict[str, Any]) -> None:
    url, tokens = world["url"], world["tokens"]
    streams = {party: Stream(url, token) for party, token in tokens.items()}
    try:
        # 22 km apart, closing at 400 m/s, level at 9,000 m: CPA in about 56 s, at 0 m.
        _push(url, tokens["north"], _track("n1", 2.0, 90.0))
        _push(url, tokens["south"], _track("s1", 2.3, 270.0))
        raised = {p: streams[p].wait_for("alert_raised") for p in ("north", "south")}
        assert raised["north"] == raised["south"]
        alert = raised["north"]
        assert alert["kind"] == "tactical"
        assert alert["state"] == "active"
        assert alert["tier"] == "warning"
        assert alert["parties"] == ["north", "south"]
        assert alert["agreement_ids"] == ["ns"]
        assert alert["tracks"] == [{"party": "north", "id": "n1"}, {"party": "south", "id": "s1"}]
        assert 40.0 < alert["tcpa_s"] < 60.0
        assert alert["dcpa_m"] < 100.0
        assert 20_000.0 < alert["separation_m"] < 24_000.0
        assert {s["id"] for s in alert["states"]} == {"n1", "s1"}

        # They turn away from each other: no tier is met, and after clear_after_s it clears.
        deadline = time.monotonic() + WAIT_S
        while not streams["north"].alerts("alert_cleared") and time.monotonic() < deadline:
            _push(url, tokens["north"], _track("n1", 2.0, 270.0))
            _push(url, tokens["south"], _track("s1", 2.3, 90.0))
            time.sleep(0.5)
        cleared = {p: streams[p].wait_for("alert_cleared") for p in ("north", "south")}
        assert cleared["north"]["id"] == alert["id"]
        assert cleared["north"]["reason"] == "cleared"
        assert cleared["south"]["state"] == "cleared"
        time.sleep(1.0)
    finally:
        for stream in streams.values():
            stream.close()

    assert not [k for k, _ in streams["east"].events if k.startswith("alert")]
    east = {"Authorization": f"Bearer {tokens['east']}"}
    assert httpx.get(f"{url}/alerts", headers=east).json() == {"items": []}
    assert httpx.get(f"{url}/alerts/{alert['id']}", headers=east).status_code == 404
    north = {"Authorization": f"Bearer {tokens['north']}"}
    listed = httpx.get(f"{url}/alerts", headers=north).json()["items"]
    assert [a["id"] for a in listed] == [alert["id"]]
    assert listed[0]["state"] == "cleared"

    def entry_types(headers: dict[str, str]) -> list[str]:
        page = httpx.get(f"{url}/log/entries", headers=headers).json()["items"]
        return [json.loads(base64.b64decode(item["entry"]))["type"] for item in page]

    assert {"alert.raised", "alert.cleared"} <= set(entry_types(north))
    assert not {t for t in entry_types(east) if t.startswith("alert.")}
