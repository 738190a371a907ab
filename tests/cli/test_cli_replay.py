"""`deconflict replay` against a real server: a party's pushes, and the admin's Beast feed."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from deconflict.cli import make_root
from serving import ADMIN_TOKEN, serving

runner = CliRunner()
START_MS = 1_633_608_000_000


def recording(path: Path, seconds: int = 20) -> Path:
    """Three aircraft flying north for `seconds`, one state a second (traffic's units)."""
    records = []
    for t in range(seconds):
        for k, (icao, callsign) in enumerate(
            (("3c0001", "AFR12"), ("400002", "BAW9"), ("4b0003", ""))
        ):
            records.append(
                {
                    "timestamp": START_MS + t * 1000,
                    "icao24": icao,
                    "callsign": callsign,
                    "latitude": 48.0 + k * 0.2 + t * 0.002,
                    "longitude": 2.0 + k * 0.2,
                    "altitude": 30000 + k * 1000,
                    "groundspeed": 420,
                    "track": 0,
                    "vertical_rate": 0,
                    "onground": False,
                }
            )
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    return path


def replay(*args: str) -> Any:
    return runner.invoke(make_root({"replay"}), ["replay", *args])


def admin(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def party(url: str, party_id: str) -> str:
    with admin(url) as client:
        answer = client.post("/parties", json={"name": party_id.title(), "id": party_id})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])


def tracks(url: str, token: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{url}/tracks", params={"format": "states"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return list(body["tracks"] if isinstance(body, dict) else body)


def test_with_a_party_token_every_aircraft_is_pushed_as_that_partys_track(tmp_path: Path) -> None:
    with serving(tmp_path) as (_, first):
        url = first.split()[3]
        north = party(url, "north")
        result = replay(
            str(recording(tmp_path / "r.json.gz")),
            "--url",
            url,
            "--token",
            north,
            "--speed",
            "20",
            "--shift-to",
            "10,30",
        )
        assert result.exit_code == 0, result.stderr
        # When the machine is slow, one push can carry two states of an aircraft, and the
        # older one counts as stale: every state is still accounted for, once.
        counts = re.search(
            r"replayed 60 states of 3 aircraft at 20x: (\d+) accepted, (\d+) stale", result.stderr
        )
        assert counts is not None, result.stderr
        accepted, stale = map(int, counts.groups())
        assert accepted + stale == 60, result.stderr
        assert accepted >= 3, result.stderr
        seen = tracks(url, north)
    assert sorted(t["id"] for t in seen) == ["3c0001", "400002", "4b0003"]
    assert {t["party"] for t in seen} == {"north"}
    assert all(abs(t["lat"] - 10.0) < 0.5 and abs(t["lon"] - 30.0) < 0.5 for t in seen)
    assert {t.get("callsign") for t in seen} == {"AFR12", "BAW9", None}


def test_with_the_admin_token_traffic_comes_in_as_a_beast_feed_attributed_by_prefix(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as (_, first):
        url = first.split()[3]
        north, south = party(url, "north"), party(url, "south")
        path = recording(tmp_path / "r.json.gz", seconds=40)
        result = replay(
            str(path),
            "--url",
            url,
            "--token",
            ADMIN_TOKEN,
            "--speed",
            "10",
            "--party",
            "AFR=north",
            "--party",
            "BAW=south",
        )
        assert result.exit_code == 0, result.stderr
        assert "served 120 states of 3 aircraft at 10x as beast://127.0.0.1:" in result.stderr
        by_north = {t["id"]: t["party"] for t in tracks(url, north)}
        by_south = {t["id"]: t["party"] for t in tracks(url, south)}
        with admin(url) as client:
            declared = client.get("/parties/north/aircraft").json()
            feeds = client.get("/feeds").json()["items"]
    assert by_north == {"3c0001": "north", "4b0003": None}
    assert by_south == {"400002": "south", "4b0003": None}
    assert declared["callsign_prefixes"] == ["AFR"]
    assert feeds == []


def test_party_prefixes_need_the_admin_token_and_bad_input_is_one_line(tmp_path: Path) -> None:
    with serving(tmp_path) as (_, first):
        url = first.split()[3]
        north = party(url, "north")
        path = recording(tmp_path / "r.json.gz", seconds=2)
        refused = replay(str(path), "--url", url, "--token", north, "--party", "AFR=north")
        assert refused.exit_code == 2
        assert "--party needs the admin token" in refused.stderr
    for args, message in [
        ((str(tmp_path / "none.json"),), "none.json"),
        ((str(path), "--speed", "0"), "--speed"),
        ((str(path), "--shift-to", "95,0"), "expected LAT,LON"),
        ((str(path), "--party", "AFR"), "expected PREFIX=PARTY"),
    ]:
        result = replay(*args, "--url", "http://127.0.0.1:9", "--token", "x")
        assert result.exit_code == 2, result.stderr
        assert message in result.stderr
        assert result.stderr.startswith("error: ")
