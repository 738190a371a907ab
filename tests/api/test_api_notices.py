"""Notices through HTTP: submit, read, disclose, acknowledge, amend, cancel, idempotency, pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deconflict.clock import FakeClock
from deconflict.geometry.formats import volume_from_geojson, volume_to_f3548
from deconflict.service import Service


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_submit_renders_the_notice_with_its_disclosures(
    world: Any, feature: Any, clock: FakeClock
) -> None:
    volume = feature(31.0, 12.0, start_h=3.0, hours=1.5)
    response = world.post(
        "alpha", "/notices", {"agreement_id": "ab", "purpose": "exercise", "volumes": [volume]}
    )
    notice = _ok(response, 201)
    assert response.headers["location"] == f"/notices/{notice['id']}"
    assert (notice["version"], notice["latest_version"], notice["state"]) == (1, 1, "submitted")
    assert notice["originator"] == "alpha"
    assert _at(notice["time_start"]) == _at(volume["properties"]["time_start"])
    assert _at(notice["time_end"]) == _at(volume["properties"]["time_end"])
    assert notice["volumes"][0]["type"] == "Feature"
    assert volume_from_geojson(notice["volumes"][0]) == volume_from_geojson(volume)
    [disclosure] = notice["disclosures"]
    now = clock.now()
    assert disclosure["party"] == "bravo"
    assert _at(disclosure["disclosed_at"]) == now
    assert disclosure["first_fetched_at"] is None
    assert disclosure["lead_time_s"] == 3 * 3600
    assert disclosure["short_notice"] is False
    assert _at(disclosure["ack_due_at"]) == now + timedelta(seconds=900)
    assert (disclosure["ack_state"], disclosure["escalation_tier"]) == ("pending", 0)


def test_short_notice_is_flagged_with_the_measured_lead_time(world: Any, feature: Any) -> None:
    body = {"agreement_id": "ab", "purpose": "medevac", "volumes": [feature(start_h=0.25)]}
    notice = _ok(world.post("alpha", "/notices", body), 201)
    [disclosure] = notice["disclosures"]
    assert disclosure["short_notice"] is True
    assert disclosure["lead_time_s"] == 900
    events = _ok(world.get("bravo", "/events", params={"kind": "short_notice"}))["items"]
    assert [e["notice_id"] for e in events] == [notice["id"]]


def test_the_first_fetch_by_a_recipient_is_recorded(world: Any, clock: FakeClock) -> None:
    notice_id = world.notices["own"]
    clock.advance(120)
    fetched_at = clock.now()
    _ok(world.get("bravo", f"/notices/{notice_id}"))
    clock.advance(60)
    _ok(world.get("bravo", f"/notices/{notice_id}"))
    [disclosure] = _ok(world.get("alpha", f"/notices/{notice_id}"))["disclosures"]
    assert _at(disclosure["first_fetched_at"]) == fetched_at


def test_a_conflict_is_reported_to_both_sides(world: Any, feature: Any) -> None:
    body = {"agreement_id": "ab", "purpose": "tanker", "volumes": [feature(30.05, 10.0)]}
    notice = _ok(world.post("bravo", "/notices", body), 201)
    [conflict] = notice["conflicts"]
    assert (conflict["other_kind"], conflict["other_id"]) == ("notice", world.notices["own"])
    assert conflict["other_party"] == "alpha"
    assert conflict["min_distance_m"] == 0
    seen_by_alpha = _ok(world.get("alpha", f"/notices/{notice['id']}"))
    assert [c["other_id"] for c in seen_by_alpha["conflicts"]] == [world.notices["own"]]


def test_acknowledging_twice_answers_409_with_the_original_time(
    world: Any, clock: FakeClock
) -> None:
    notice_id = world.notices["disclosed"]
    clock.advance(30)
    first = _ok(world.post("alpha", f"/notices/{notice_id}/acknowledgements", {"version": 1}), 201)
    assert _at(first["acknowledged_at"]) == clock.now()
    assert first["late"] is False
    clock.advance(30)
    again = world.post("alpha", f"/notices/{notice_id}/acknowledgements", {"version": 1})
    assert again.status_code == 409
    assert again.json()["acknowledged_at"].endswith("Z")
    assert _at(again.json()["acknowledged_at"]) == _at(first["acknowledged_at"])
    acks = _ok(world.get("bravo", f"/notices/{notice_id}/acknowledgements"))["items"]
    assert [(a["party"], a["version"]) for a in acks] == [("alpha", 1)]
    assert _ok(world.get("bravo", f"/notices/{notice_id}"))["state"] == "acknowledged"


def test_an_unacknowledged_notice_escalates(world: Any, service: Service, clock: FakeClock) -> None:
    notice_id = world.notices["own"]
    clock.advance(900 + 1)
    service.tick()
    notice = _ok(world.get("alpha", f"/notices/{notice_id}"))
    [disclosure] = notice["disclosures"]
    assert (notice["state"], disclosure["ack_state"], disclosure["escalation_tier"]) == (
        "escalated",
        "escalated",
        1,
    )
    late = _ok(world.post("bravo", f"/notices/{notice_id}/acknowledgements", {"version": 1}), 201)
    assert late["late"] is True


def test_amend_makes_a_new_version_and_old_versions_stay_readable(world: Any, feature: Any) -> None:
    notice_id = world.notices["own"]
    body = {"volumes": [feature(30.0, 10.0, upper_m=5000.0)], "purpose": "extended"}
    amended = _ok(world.post("alpha", f"/notices/{notice_id}/amend", body))
    assert (amended["version"], amended["previous_version"], amended["kind"]) == (
        2,
        1,
        "amendment",
    )
    assert amended["volumes"][0]["properties"]["alt_upper_m"] == 5000.0
    first = _ok(world.get("bravo", f"/notices/{notice_id}", params={"version": 1}))
    assert (first["version"], first["latest_version"], first["purpose"]) == (1, 2, "own")


def test_cancel_then_amend_is_a_409(world: Any, feature: Any) -> None:
    notice_id = world.notices["own"]
    cancelled = _ok(world.post("alpha", f"/notices/{notice_id}/cancel", {"reason": "weather"}))
    assert (cancelled["state"], cancelled["kind"]) == ("cancelled", "cancellation")
    response = world.post("alpha", f"/notices/{notice_id}/amend", {"volumes": [feature()]})
    assert response.status_code == 409
    assert response.json()["state"] == "cancelled"


def test_cancel_takes_an_empty_body(world: Any) -> None:
    notice_id = world.notices["own"]
    response = world.client.post(f"/notices/{notice_id}/cancel", headers=world.headers("alpha"))
    assert _ok(response)["state"] == "cancelled"


def test_a_draft_is_disclosed_only_when_submitted(world: Any, feature: Any) -> None:
    body = {"agreement_id": "ab", "purpose": "plan", "volumes": [feature()], "draft": True}
    draft = _ok(world.post("alpha", "/notices", body), 201)
    assert (draft["state"], draft["disclosures"]) == ("draft", [])
    assert world.get("bravo", f"/notices/{draft['id']}").status_code == 404
    submitted = _ok(world.post("alpha", f"/notices/{draft['id']}/submit", None))
    assert submitted["state"] == "submitted"
    assert _ok(world.get("bravo", f"/notices/{draft['id']}"))["id"] == draft["id"]


def test_volumes_as_a_feature_collection_or_f3548(world: Any, feature: Any) -> None:
    first, second = feature(40.0, 10.0), feature(41.0, 10.0, start_h=5.0)
    collection = {"type": "FeatureCollection", "features": [first, second]}
    by_collection = _ok(
        world.post(
            "alpha", "/notices", {"agreement_id": "ab", "purpose": "fc", "volumes": collection}
        ),
        201,
    )
    f3548 = [volume_to_f3548(volume_from_geojson(f)) for f in (first, second)]
    by_f3548 = _ok(
        world.post(
            "alpha", "/notices", {"agreement_id": "ab", "purpose": "f3548", "volumes_f3548": f3548}
        ),
        201,
    )
    assert len(by_collection["volumes"]) == len(by_f3548["volumes"]) == 2
    assert by_collection["time_start"] == by_f3548["time_start"]
    assert by_collection["time_end"] == by_f3548["time_end"]


def test_idempotency_same_key_same_body_gives_the_same_notice(world: Any, feature: Any) -> None:
    body = {"agreement_id": "ab", "purpose": "retry", "volumes": [feature(50.0, 10.0)]}
    headers = {**world.headers("alpha"), "Idempotency-Key": "k-1"}
    first = _ok(world.client.post("/notices", json=body, headers=headers), 201)
    reordered = dict(reversed(list(body.items())))
    again = _ok(world.client.post("/notices", json=reordered, headers=headers), 201)
    assert again["id"] == first["id"]
    assert again["latest_version"] == 1
    own = _ok(world.get("alpha", "/notices", params={"role": "originator"}))["items"]
    assert [n["id"] for n in own].count(first["id"]) == 1
    assert sum(1 for n in own if n["purpose"] == "retry") == 1


def test_idempotency_same_key_other_body_is_a_422(world: Any, feature: Any) -> None:
    headers = {**world.headers("alpha"), "Idempotency-Key": "k-2"}
    body = {"agreement_id": "ab", "purpose": "one", "volumes": [feature(50.0, 10.0)]}
    _ok(world.client.post("/notices", json=body, headers=headers), 201)
    before = _ok(world.get("alpha", "/notices"))
    response = world.client.post("/notices", json={**body, "purpose": "two"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["type"].endswith(":idempotency-mismatch")
    assert _ok(world.get("alpha", "/notices")) == before


def test_an_idempotency_key_longer_than_it_is_stored_is_a_422(world: Any, feature: Any) -> None:
    """The key is stored in 200 characters; PostgreSQL refused a longer one with a 500."""
    body = {"agreement_id": "ab", "purpose": "keyed", "volumes": [feature(50.0, 10.0)]}
    before = _ok(world.get("alpha", "/notices"))
    headers = {**world.headers("alpha"), "Idempotency-Key": "k" * 201}
    response = world.client.post("/notices", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert [e.get("parameter") for e in response.json()["errors"]] == ["Idempotency-Key"]
    assert _ok(world.get("alpha", "/notices")) == before
    headers["Idempotency-Key"] = "k" * 200
    _ok(world.client.post("/notices", json=body, headers=headers), 201)


def test_pagination_walks_every_notice_exactly_once(world: Any, feature: Any) -> None:
    for i in range(7):
        body = {"agreement_id": "ab", "purpose": f"p{i}", "volumes": [feature(40.0 + i, 20.0)]}
        _ok(world.post("alpha", "/notices", body), 201)
    expected = {"own", "disclosed", *(f"p{i}" for i in range(7))}
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    pages = 0
    while True:
        response = world.get("alpha", "/notices", params=params)
        page = _ok(response)
        pages += 1
        seen.extend(n["purpose"] for n in page["items"])
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert response.headers["link"].endswith('>; rel="next"')
        assert f"cursor={page['next_cursor']}" in response.headers["link"]
        params = {"limit": 3, "cursor": page["next_cursor"]}
    assert sorted(seen) == sorted(expected)
    assert pages == 3


def test_list_filters_by_role_and_state(world: Any) -> None:
    own = _ok(world.get("alpha", "/notices", params={"role": "originator"}))["items"]
    received = _ok(world.get("alpha", "/notices", params={"role": "recipient"}))["items"]
    assert [n["id"] for n in own] == [world.notices["own"]]
    assert [n["id"] for n in received] == [world.notices["disclosed"]]
    drafts = _ok(world.get("alpha", "/notices", params={"state": "draft"}))["items"]
    assert drafts == []
    bad = world.get("alpha", "/notices", params={"role": "boss"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["parameter"] == "role"
