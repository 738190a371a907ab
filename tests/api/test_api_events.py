"""Events through HTTP: listed a page at a time, and pushed as Server-Sent Events."""

from __future__ import annotations

import json
import threading
from typing import Any

from deconflict.service import Caller, Service


def _sse_events(lines: list[str]) -> list[dict[str, Any]]:
    events, current = [], {}
    for line in lines:
        if not line:
            if "data" in current:
                events.append(current)
            current = {}
        elif not line.startswith(":") and ":" in line:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return events


def _stream(world: Any, who: str, **params: Any) -> list[dict[str, Any]]:
    with world.client.stream(
        "GET", "/events/stream", params=params, headers=world.headers(who)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return _sse_events(list(response.iter_lines()))


def test_events_page_with_after_and_link(world: Any) -> None:
    every = world.get("bravo", "/events", params={"limit": 500}).json()["items"]
    assert len(every) >= 3
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        response = world.get("bravo", "/events", params=params)
        page = response.json()
        seen.extend(e["id"] for e in page["items"])
        if page["next_cursor"] is None:
            break
        assert f"after={page['next_cursor']}" in response.headers["link"]
        params = {"limit": 2, "after": page["next_cursor"]}
    assert seen == [e["id"] for e in every]
    assert seen == sorted(set(seen))


def test_events_filter_by_kind(world: Any) -> None:
    disclosed = world.get("alpha", "/events", params={"kind": "disclosed"}).json()["items"]
    assert disclosed
    assert {e["kind"] for e in disclosed} == {"disclosed"}


def test_the_stream_sends_what_the_list_holds(world: Any) -> None:
    listed = world.get("alpha", "/events").json()["items"]
    streamed = _stream(world, "alpha", after=0, max_events=len(listed))
    assert [int(e["id"]) for e in streamed] == [e["id"] for e in listed]
    assert [e["event"] for e in streamed] == [e["kind"] for e in listed]
    assert [json.loads(e["data"]) for e in streamed] == listed


def test_the_stream_pushes_a_new_event(world: Any, service: Service) -> None:
    """An acknowledgement made while the stream waits reaches the originator."""
    last = world.get("bravo", "/events", params={"limit": 500}).json()["items"][-1]["id"]
    notice_id = world.notices["own"]

    def acknowledge_soon() -> None:
        service.acknowledge(Caller("bravo"), notice_id, 1, "seen")

    timer = threading.Timer(0.3, acknowledge_soon)
    timer.start()
    try:
        [event] = _stream(world, "alpha", after=last, max_events=1, kind="acknowledged")
    finally:
        timer.join()
    data = json.loads(event["data"])
    assert (event["event"], data["notice_id"], data["party"]) == (
        "acknowledged",
        notice_id,
        "bravo",
    )


def test_last_event_id_resumes_the_stream(world: Any) -> None:
    listed = world.get("alpha", "/events").json()["items"]
    headers = {**world.headers("alpha"), "Last-Event-ID": str(listed[0]["id"])}
    with world.client.stream(
        "GET", "/events/stream", params={"max_events": 1}, headers=headers
    ) as response:
        [event] = _sse_events(list(response.iter_lines()))
    assert int(event["id"]) == listed[1]["id"]
