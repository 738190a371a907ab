"""Prometheus metrics at `/metrics`, one registry per app (so two apps in one process, as in the
tests, never share or collide).

Requests are counted by route template (never the raw path, which would grow without bound),
method and status, with a latency histogram; events pushed over SSE are counted as they go;
the log's size, notices by state and each witness's lag are read from the service at each
scrape, and so are the live picture's feeds (frames, each skip reason, connected, last frame)
and its tracks.
`/metrics` needs the admin token or the metrics token (`--metrics-token`), and a wrong one
counts against the address's limit of failed authentications like any other.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.deps import ServiceDep, limited
from deconflict.errors import Forbidden, Unauthorized
from deconflict.live import LivePicture
from deconflict.service import ADMIN, Service

__all__ = ["Metrics", "MetricsMiddleware", "router"]

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNMATCHED = "unmatched"
CLIENT_CLOSED = 499
"""The status counted for a request whose client left before it could be answered (nginx's)."""
"""The route label of a request no route matched (a 404 from the router)."""


class _ServiceCollector(Collector):
    """Reads the service's state at each scrape."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        snapshot = self._service.status_snapshot()
        yield GaugeMetricFamily(
            "deconflict_log_size", "Entries in the Merkle log", value=snapshot.log_size
        )
        notices = GaugeMetricFamily("deconflict_notices", "Notices by state", labels=["state"])
        for state, count in snapshot.notices.items():
            notices.add_metric([state.value], count)
        yield notices
        lag = GaugeMetricFamily(
            "deconflict_witness_lag_entries",
            "Log entries beyond the largest checkpoint the party's witness co-signed",
            labels=["party"],
        )
        last = GaugeMetricFamily(
            "deconflict_witness_last_cosigned_timestamp_seconds",
            "When the party's witness last co-signed, by its clock (Unix time)",
            labels=["party"],
        )
        for party, witness in snapshot.witnesses.items():
            lag.add_metric([party], witness.entries)
            if witness.last_cosigned_at is not None:
                last.add_metric([party], witness.last_cosigned_at.timestamp())
        yield lag
        yield last


class _LiveCollector(Collector):
    """Reads the live picture's feeds and tracks at each scrape."""

    def __init__(self, live: LivePicture) -> None:
        self._live = live

    def collect(self) -> Iterator[Metric]:
        frames = CounterMetricFamily(
            "deconflict_feed_frames", "Frames (or SBS lines) a feed read", labels=["feed"]
        )
        skipped = CounterMetricFamily(
            "deconflict_feed_skipped", "Frames a feed skipped, by reason", labels=["feed", "reason"]
        )
        connected = GaugeMetricFamily(
            "deconflict_feed_connected", "1 while the feed is connected", labels=["feed"]
        )
        last = GaugeMetricFamily(
            "deconflict_feed_last_frame_timestamp_seconds",
            "When the feed's latest frame arrived (Unix time)",
            labels=["feed"],
        )
        for status in self._live.sources.statuses(ADMIN):
            frames.add_metric(
                [status.address], status.counts.get("frames", 0) + status.counts.get("lines", 0)
            )
            for reason, count in sorted(status.counts.items()):
                if reason not in ("frames", "lines") and not reason.startswith(("df", "msg")):
                    skipped.add_metric([status.address, reason], count)
            connected.add_metric([status.address], 1.0 if status.connected else 0.0)
            if status.last_frame_at is not None:
                last.add_metric([status.address], status.last_frame_at.timestamp())
        yield from (frames, skipped, connected, last)
        yield GaugeMetricFamily(
            "deconflict_tracks_live", "Tracks in the live picture", value=len(self._live)
        )


class Metrics:
    """The app's registry and the metrics the API updates."""

    def __init__(self, service: Service, live: LivePicture) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "deconflict_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "deconflict_http_request_duration_seconds",
            "Time to answer a request, to its last byte (a stream's whole life)",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS_S,
            registry=registry,
        )
        self.events_pushed = Counter(
            "deconflict_sse_events_pushed",
            "Events pushed over Server-Sent Events",
            registry=registry,
        )
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        registry.register(_ServiceCollector(service))
        registry.register(_LiveCollector(live))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts each HTTP request and times it, labelled by the route that answered."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        failed = True

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
            failed = False
        finally:
            if status is None:
                status = 500 if failed else CLIENT_CLOSED
            route = scope.get("route")
            template = str(getattr(route, "path", UNMATCHED)) if route is not None else UNMATCHED
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(template, method, str(status)).inc()
            self.metrics.latency.labels(template, method).observe(time.perf_counter() - started)


_bearer = HTTPBearer(auto_error=False, description="the admin token or the metrics token")
router = APIRouter(tags=["meta"])


def _check(service: Service, token: str, metrics_token: str | None) -> None:
    if metrics_token is not None and hmac.compare_digest(token.encode(), metrics_token.encode()):
        return
    if not service.authenticate(token).is_admin:
        raise Forbidden("metrics need the admin token or the metrics token")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics(
    request: Request,
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """Prometheus metrics (admin token or metrics token)."""
    if credentials is None:
        raise Unauthorized("send Authorization: Bearer <admin or metrics token>")
    token = credentials.credentials
    limited(request, lambda: _check(service, token, request.app.state.metrics_token))
    exposition: Metrics = request.app.state.metrics
    return Response(exposition.exposition(), media_type=CONTENT_TYPE_LATEST)
