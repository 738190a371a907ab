"""`deconflict demo` as a user runs it: a subprocess on a free port, driven through demo.json."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

STARTUP_LIMIT_S = 120


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path / "demo-data"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from deconflict.cli import main; main()",
            "demo",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--exit-after",
            "300",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    marker = data_dir / "demo.json"
    document: dict[str, Any] = {}
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while "url" not in document and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        if marker.exists():
            document = json.loads(marker.read_text() or "{}")
    if "url" not in document:
        process.kill()
        output = process.communicate()[0]
        pytest.fail(f"the demo did not start: {output}")
    document["process"] = process
    yield document
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    if process.stdout is not None and not process.stdout.closed:
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _client(demo: dict[str, Any], party: str) -> httpx.Client:
    [token] = [p["token"] for p in demo["parties"] if p["id"] == party]
    return httpx.Client(
        base_url=demo["url"], headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_demo_serves_the_scripted_activity(demo: dict[str, Any]) -> None:
    assert {p["name"] for p in demo["parties"]} == {"Northern Air Command", "Southern Air Command"}
    assert len({p["token"] for p in demo["parties"]}) == 2
    notices = demo["notices"]
    with _client(demo, "south") as south, _client(demo, "north") as north:
        assert south.get("/health").json() == {"status": "ok"}
        received = south.get("/notices", params={"role": "recipient"}).json()["items"]
        by_id = {n["id"]: n for n in received}

        [short] = by_id[notices["short_notice"]]["disclosures"]
        assert short["short_notice"] is True
        assert short["lead_time_s"] < 3600

        assert by_id[notices["acknowledged"]]["state"] == "acknowledged"

        conflicting = north.get(f"/notices/{notices['conflicting']}").json()
        assert notices["acknowledged"] in {c["other_id"] for c in conflicting["conflicts"]}

        escalated = north.get(f"/notices/{notices['escalated']}").json()
        [late] = escalated["disclosures"]
        assert (escalated["state"], late["ack_state"], late["escalation_tier"]) == (
            "escalated",
            "escalated",
            2,
        )
        ack = north.post(
            f"/notices/{notices['escalated']}/acknowledgements",
            json={"version": 1, "text": "sorry"},
        )
        assert ack.status_code == 201
        assert ack.json()["late"] is True

        kinds = {e["kind"] for e in south.get("/events", params={"limit": 500}).json()["items"]}
        assert {"disclosed", "short_notice", "conflict", "acknowledged", "escalation"} <= kinds


def test_demo_documents_itself(demo: dict[str, Any]) -> None:
    with httpx.Client(base_url=demo["url"]) as anonymous:
        assert anonymous.get("/docs").status_code == 200
        assert anonymous.get("/notices").status_code == 401
    admin = httpx.get(
        f"{demo['url']}/parties", headers={"Authorization": f"Bearer {demo['admin_token']}"}
    )
    assert {p["id"] for p in admin.json()["items"]} == {p["id"] for p in demo["parties"]}


def test_demo_stops_cleanly_on_ctrl_c(demo: dict[str, Any]) -> None:
    process = demo["process"]
    # demo.json comes before the banner: wait until the server answers, which it does only
    # after printing it, or a slow machine's Ctrl-C lands in between.
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{demo['url']}/health", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0]
    assert process.returncode in (0, 130), output  # 130: the conventional exit after SIGINT
    assert "Traceback" not in output
    assert demo["url"] in output


def test_the_demo_raises_tactical_intrusion_and_conformance_alerts_for_both_in_its_first_minute(
    demo: dict[str, Any],
) -> None:
    tokens = {p["id"]: p["token"] for p in demo["parties"]}
    deadline = time.monotonic() + 60
    kinds: set[str] = set()
    while kinds != {"tactical", "intrusion", "conformance"} and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = httpx.get(
            f"{demo['url']}/alerts",
            headers={"Authorization": f"Bearer {tokens['south']}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        alerts = answer.json()["items"]
        kinds = {a["kind"] for a in alerts if a["parties"] == ["north", "south"]}
    assert kinds == {"tactical", "intrusion", "conformance"}


def test_demo_witnesses_co_sign_the_log(demo: dict[str, Any]) -> None:
    from deconflict.log import CosignatureVerifier, Ed25519Verifier, open_checkpoint

    with _client(demo, "north") as north:
        log_key = Ed25519Verifier.from_vkey(north.get("/log/key").text.strip())
        witnesses = []
        for party in ("north", "south"):
            [key] = [
                k["key_b64"]
                for k in north.get(f"/parties/{party}").json()["keys"]
                if k["purpose"] == "cosign"
            ]
            witnesses.append(CosignatureVerifier(party, base64.b64decode(key)))
        deadline = time.monotonic() + 30
        cosigned: set[str] = set()
        while cosigned != {"north", "south"} and time.monotonic() < deadline:
            time.sleep(0.5)
            response = north.get("/log/checkpoint")
            if response.status_code == 200:
                opened = open_checkpoint(response.text, log_key, witnesses)
                cosigned = {c.name for c in opened.cosignatures}
    assert cosigned == {"north", "south"}


def test_the_demo_shows_live_traffic_from_its_feed_and_a_push_to_each_party_its_share(
    demo: dict[str, Any],
) -> None:
    url = demo["url"]
    tokens = {p["id"]: p["token"] for p in demo["parties"]}

    def seen(party: str) -> set[tuple[str | None, str]]:
        answer = httpx.get(
            f"{url}/tracks",
            params={"format": "states"},
            headers={"Authorization": f"Bearer {tokens[party]}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return {(t["party"], t["id"]) for t in answer.json()["tracks"]}

    deadline = time.monotonic() + 30
    while (len(seen("north")), len(seen("south"))) < (5, 3) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert seen("north") == {
        (None, "730123"),
        ("north", "710011"),
        ("north", "710031"),
        ("north", "710051"),
        ("north", "drone-1"),
    }
    assert seen("south") == {(None, "730123"), ("south", "710021"), ("south", "710041")}
    feeds = httpx.get(
        f"{url}/feeds", headers={"Authorization": f"Bearer {demo['admin_token']}"}, timeout=10
    ).json()["items"]
    assert [f["connected"] for f in feeds] == [True]
    assert feeds[0]["counts"]["df17"] > 0
