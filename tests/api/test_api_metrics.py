"""`/metrics`: who may read it, and that what it says is what happened (requests by route
template, latency, SSE pushes, the log's size, notices by state, witness lag), per app."""

from __future__ import annotations

import base64
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.clock import FakeClock
from deconflict.domain import KeyPurpose
from deconflict.ingest.beast_server import BeastServer
from deconflict.log import Cosigner
from deconflict.service import Caller, Service
from deconflict.witness import Witness

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789abcdef0123456789abcdef"}
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def samples(
    client: Any, headers: dict[str, str] = ADMIN
) -> dict[tuple[str, tuple[Any, ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_need_the_admin_or_the_metrics_token(service: Service, world: Any) -> None:
    app = create_app(service, metrics_token=METRICS_TOKEN, auth_fail_limit=2)
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=world.headers("alpha")).status_code == 403
        assert client.get("/metrics", headers=ADMIN).status_code == 200
        by_token = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert by_token.status_code == 200
        wrong = {"Authorization": "Bearer metrics-token-0123456789abcdeX"}
        refused = client.get("/metrics", headers=wrong)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/metrics", headers=wrong).status_code == 401
        assert client.get("/metrics", headers=ADMIN).status_code == 429


def test_the_metrics_token_is_not_a_caller(service: Service) -> None:
    with TestClient(create_app(service, metrics_token=METRICS_TOKEN)) as client:
        response = client.get("/parties", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 401


def test_requests_are_counted_by_route_template(client: Any, world: Any) -> None:
    notice = world.notices["own"]
    for _ in range(2):
        assert world.get("alpha", f"/notices/{notice}").status_code == 200
    assert world.get("alpha", "/notices/no-such-notice").status_code == 404
    assert world.get("alpha", "/no/such/route").status_code == 404
    found = samples(client)
    route = "/notices/{notice_id}"
    ok = (("method", "GET"), ("route", route), ("status", "200"))
    missing = (("method", "GET"), ("route", route), ("status", "404"))
    assert found[("deconflict_http_requests_total", ok)] == 2
    assert found[("deconflict_http_requests_total", missing)] == 1
    unmatched = (("method", "GET"), ("route", "unmatched"), ("status", "404"))
    assert found[("deconflict_http_requests_total", unmatched)] == 1
    timed = (("method", "GET"), ("route", route))
    assert found[("deconflict_http_request_duration_seconds_count", timed)] == 3
    posted = (("method", "POST"), ("route", "/notices"), ("status", "201"))
    assert found[("deconflict_http_requests_total", posted)] == 4
    assert not any(notice in str(labels) for _, labels in found)


def test_log_size_and_notices_by_state(client: Any, world: Any, service: Service) -> None:
    assert world.post("alpha", f"/notices/{world.notices['own']}/cancel", {}).status_code == 200
    found = samples(client)
    assert found[("deconflict_log_size", ())] == service.log_size() > 0
    by_state = {
        dict(labels)["state"]: value
        for (name, labels), value in found.items()
        if name == "deconflict_notices"
    }
    assert by_state == {
        "draft": 0,
        "submitted": 3,
        "acknowledged": 0,
        "escalated": 0,
        "expired": 0,
        "cancelled": 1,
    }


def test_events_pushed_over_sse_are_counted(client: Any, world: Any) -> None:
    with client.stream(
        "GET", "/events/stream", params={"max_events": 2}, headers=world.headers("alpha")
    ) as response:
        assert response.status_code == 200
        body = b"".join(response.iter_bytes())
    assert body.count(b"\nevent: ") == 2
    assert samples(client)[("deconflict_sse_events_pushed_total", ())] == 2


def test_witness_lag_follows_the_cosignatures(
    client: Any, world: Any, service: Service, clock: FakeClock, tmp_path: Path
) -> None:
    cosigner = Cosigner.generate("alpha")
    key = base64.b64encode(cosigner.verifier().public_key).decode()
    service.add_key(Caller("alpha"), "alpha", KeyPurpose.COSIGN, key)
    before = samples(client)
    assert before[("deconflict_witness_lag_entries", (("party", "alpha"),))] == service.log_size()
    assert (
        "deconflict_witness_last_cosigned_timestamp_seconds",
        (("party", "alpha"),),
    ) not in before

    clock.advance(3)
    service.publish_checkpoint(force=True)
    signed_size = service.log_size()
    http = TestClient(create_app(service), headers=world.headers("alpha"))
    outcome = Witness(http, "alpha", cosigner, tmp_path / "w", clock=clock).run_once()
    http.close()
    assert outcome.cosigned
    service.add_key(Caller("alpha"), "alpha", KeyPurpose.ACK, key)
    after = samples(client)
    lag = after[("deconflict_witness_lag_entries", (("party", "alpha"),))]
    assert lag == service.log_size() - signed_size == 1
    last = after[("deconflict_witness_last_cosigned_timestamp_seconds", (("party", "alpha"),))]
    assert last == clock.now().replace(microsecond=0).timestamp()


def test_each_app_has_its_own_registry(service: Service) -> None:
    one, two = create_app(service), create_app(service)
    assert one.state.metrics.registry is not two.state.metrics.registry
    with TestClient(one) as first, TestClient(two) as second:
        first.get("/health")
        first.get("/health")
        second.get("/health")
        health = (("method", "GET"), ("route", "/health"), ("status", "200"))
        assert samples(first)[("deconflict_http_requests_total", health)] == 2
        assert samples(second)[("deconflict_http_requests_total", health)] == 1
        assert "# TYPE process_cpu_seconds_total" in second.get("/metrics", headers=ADMIN).text


def test_feeds_and_tracks_are_read_from_the_live_picture_at_each_scrape(client: Any) -> None:
    server = BeastServer()
    try:
        added = client.post("/feeds", json={"address": server.address}, headers=ADMIN)
        assert added.status_code == 201, added.text
        assert server.connected.wait(5)
        feed = (("feed", server.address),)
        deadline = time.monotonic() + 10
        second = 0
        while samples(client).get(("deconflict_tracks_live", ()), 0) < 1:
            assert time.monotonic() < deadline, "no track from the feed"
            when = datetime.now(UTC) + timedelta(seconds=second)
            server.send([("4840d6", 48.85, 2.35, 9000.0, 220.0, 0.0, 0.0, "AFR1")], when)
            second += 1
            time.sleep(0.1)
        seen = samples(client)
        assert seen[("deconflict_feed_frames_total", feed)] >= 2
        assert seen[("deconflict_feed_connected", feed)] == 1
        assert seen[("deconflict_feed_last_frame_timestamp_seconds", feed)] > 0
        client.delete(f"/feeds/{added.json()['id']}", headers=ADMIN)
        assert ("deconflict_feed_connected", feed) not in samples(client)
    finally:
        server.close()


def test_metrics_are_documented(client: Any) -> None:
    assert "get" in client.get("/openapi.json").json()["paths"]["/metrics"]
