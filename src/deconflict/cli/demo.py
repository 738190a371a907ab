"""`deconflict demo`: a running service with two parties, an agreement and a day's worth of work.

The scripted activity is recorded through the service on a clock set `SCRIPT_OFFSET` behind
real time, then the service is reopened on the real clock: deadlines that would take 15 to 30
minutes have already passed, so the scheduler fires the escalations as soon as it starts (the
same path a restart takes). One notice is left pending, due to escalate a few minutes into the
demo, so an event stream shows an escalation live.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer

from deconflict.cli.output import CliError, print_table, reporting
from deconflict.cli.serve import ServerOptions, bind, display_url, open_service, run_server
from deconflict.clock import FakeClock, SystemClock
from deconflict.domain import AgreementTerms, KeyPurpose, Notice
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.log import Cosigner
from deconflict.service import ADMIN, Caller, Service, default_database_url
from deconflict.times import format_utc
from deconflict.witness import Witness

__all__ = ["SCRIPT_OFFSET", "demo"]

SCRIPT_OFFSET = timedelta(minutes=45)
WITNESS_INTERVAL_S = 5.0
AGREEMENT_ID = "north-south"
MARKER = "demo.json"


@dataclass(frozen=True, slots=True)
class DemoParty:
    id: str
    name: str
    token: str


@dataclass(frozen=True, slots=True)
class DemoWorld:
    parties: tuple[DemoParty, ...]
    notices: dict[str, str]
    """What each scripted notice shows, by role: conflicting, acknowledged, short_notice, …"""


def _fresh_dir(path: Path) -> None:
    """Recreate `path`, but only delete it when it is empty or an earlier demo's directory."""
    if path.exists():
        if not path.is_dir():
            raise CliError(f"--data-dir {path} exists and is not a directory")
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise CliError(
                f"--data-dir {path} is not empty and holds no {MARKER}; "
                "refusing to delete it (choose a new directory)"
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_bytes(b"{}")


def _feature(
    geometry: dict[str, Any], start: datetime, end: datetime, **properties: object
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "time_start": format_utc(start),
            "time_end": format_utc(end),
            **properties,
        },
    }


def _box(lon_deg: float, lat_deg: float, half_deg: float) -> dict[str, Any]:
    w, e, s, n = lon_deg - half_deg, lon_deg + half_deg, lat_deg - half_deg, lat_deg + half_deg
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _point(lon_deg: float, lat_deg: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon_deg, lat_deg]}


def _submit(service: Service, party: str, purpose: str, *features: dict[str, Any]) -> Notice:
    volumes = [volume_from_geojson(f) for f in features]
    return service.submit_notice(Caller(party), AGREEMENT_ID, volumes, purpose)


def run_script(service: Service, clock: FakeClock) -> DemoWorld:
    """The scripted day, through the service's use cases, on `clock`."""
    t0 = clock.now()
    hour = timedelta(hours=1)
    north, north_token = service.add_party(ADMIN, "Northern Air Command", party_id="north")
    south, south_token = service.add_party(ADMIN, "Southern Air Command", party_id="south")
    service.add_agreement(
        ADMIN,
        AgreementTerms(
            name="North-South airspace deconfliction",
            members=(north.id, south.id),
            min_lead_time_s=3600.0,
            ack_deadline_s=900.0,
            escalation_after_s=(0.0, 900.0),
            buffer_h_m=5000.0,
            buffer_v_m=300.0,
        ),
        agreement_id=AGREEMENT_ID,
    )
    service.add_protected_area(
        Caller(south.id),
        "Southern capital air-defence zone",
        volume_from_geojson(
            _feature(
                _point(46.7, 24.7),
                t0 - hour,
                t0 + 24 * 365 * hour,
                radius_m=40_000,
                alt_lower_m=0,
                alt_upper_m=20_000,
            )
        ),
    )
    shield = _submit(
        service,
        north.id,
        "exercise",
        _feature(
            _box(44.3, 33.6, 0.3), t0 + 3 * hour, t0 + 6 * hour, alt_lower_fl=100, alt_upper_fl=250
        ),
    )
    tanker = _submit(
        service,
        south.id,
        "air-refuelling",
        _feature(
            _point(44.4, 33.5),
            t0 + 4 * hour,
            t0 + 5 * hour,
            radius_m=20_000,
            alt_lower_m=6000,
            alt_upper_m=7500,
        ),
    )
    clock.advance(300)
    service.acknowledge(Caller(south.id), shield.id, shield.version, "Noted, NORTHERN SHIELD.")
    service.acknowledge(Caller(north.id), tanker.id, tanker.version, "Seen; will coordinate.")
    clock.advance(120)
    medevac = _submit(
        service,
        north.id,
        "medical-evacuation",
        _feature(
            _box(42.0, 35.0, 0.15),
            clock.now() + timedelta(minutes=20),
            t0 + 3 * hour,
            alt_lower_m=0,
            alt_upper_m=3000,
        ),
    )
    service.acknowledge(Caller(south.id), medevac.id, medevac.version, "Short notice accepted.")
    clock.advance(60)
    transit = _submit(
        service,
        south.id,
        "transit",
        _feature(
            _box(40.0, 30.0, 0.2),
            t0 + 24 * hour,
            t0 + 26 * hour,
            alt_lower_fl=300,
            alt_upper_fl=350,
        ),
    )
    clock.advance(SCRIPT_OFFSET.total_seconds() - 480 - 600)
    survey = _submit(
        service,
        north.id,
        "survey",
        _feature(
            _box(43.0, 36.0, 0.1), t0 + 30 * hour, t0 + 32 * hour, alt_lower_m=500, alt_upper_m=1500
        ),
    )
    return DemoWorld(
        parties=(
            DemoParty(north.id, north.name, north_token),
            DemoParty(south.id, south.name, south_token),
        ),
        notices={
            "acknowledged": shield.id,
            "conflicting": tanker.id,
            "short_notice": medevac.id,
            "escalated": transit.id,
            "escalates_soon": survey.id,
        },
    )


def _example_file(path: Path, now: datetime) -> None:
    """A notice file for `deconflict notice submit`, starting two hours from now."""
    start = now.replace(microsecond=0) + timedelta(hours=2)
    feature = _feature(
        _box(45.0, 32.0, 0.2), start, start + timedelta(hours=2), alt_lower_m=1000, alt_upper_m=4000
    )
    check = volume_to_geojson(volume_from_geojson(feature))
    collection = {"type": "FeatureCollection", "features": [check]}
    path.write_bytes(orjson.dumps(collection, option=orjson.OPT_INDENT_2))


def _start_witnesses(
    service: Service, world: DemoWorld, url: str, data_dir: Path, stop: threading.Event
) -> list[threading.Thread]:
    """Each party's witness, as its own operations centre would run it: over HTTP, with a
    co-signing key registered for it and its state on disk."""
    threads = []
    for party in world.parties:
        cosigner = Cosigner.generate(party.id)
        key_b64 = base64.b64encode(cosigner.verifier().public_key).decode()
        service.add_key(Caller(party.id), party.id, KeyPurpose.COSIGN, key_b64)
        client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {party.token}"}, timeout=30.0
        )
        witness = Witness(
            client, party.id, cosigner, data_dir / f"witness-{party.id}", service.log_verifier_key()
        )
        thread = threading.Thread(
            target=witness.run,
            args=(WITNESS_INTERVAL_S, stop),
            name=f"witness-{party.id}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def _print_banner(url: str, admin_token: str, world: DemoWorld, data_dir: Path) -> None:
    north, south = world.parties
    lines = [
        "",
        f"deconflict demo running on {url}",
        f"  API docs:    {url}/docs",
        f"  admin token: {admin_token}",
        *[f"  {p.name} ({p.id}) token: {p.token}" for p in world.parties],
        f"  details for scripts: {data_dir / MARKER}",
        "",
        f"The scripted activity was recorded on a clock set {SCRIPT_OFFSET} behind real",
        "time, so its acknowledgement deadlines (15 min, escalation tiers at +0 and +15 min)",
        "have passed: the scheduler fired those escalations on start-up. Notice",
        f"{world.notices['escalates_soon']} is still pending: it escalates about 5 minutes",
        "from now (watch the event stream below).",
        "",
        "Try:",
        f'  export NORTH={north.token} SOUTH={south.token} URL="{url}"',
        '  curl -s -H "Authorization: Bearer $SOUTH" "$URL/notices?role=recipient"',
        '  curl -s -H "Authorization: Bearer $NORTH" '
        f'"$URL/notices/{world.notices["conflicting"]}"',
        '  curl -sN -H "Authorization: Bearer $NORTH" "$URL/events/stream"',
        '  curl -s -X POST -H "Authorization: Bearer $NORTH" '
        "-H 'content-type: application/json' "
        f'-d \'{{"version": 1, "text": "ok"}}\' '
        f'"$URL/notices/{world.notices["escalated"]}/acknowledgements"',
        '  deconflict notice list --url "$URL" --token "$SOUTH"',
        f"  deconflict notice submit {data_dir / 'example-notice.geojson'} "
        f'--agreement {AGREEMENT_ID} --url "$URL" --token "$SOUTH"',
        "",
        f"Both parties' witnesses check and co-sign the log every {WITNESS_INTERVAL_S:g} s:",
        '  curl -s -H "Authorization: Bearer $NORTH" "$URL/log/checkpoint"',
        f"  deconflict bundle export --notice {world.notices['conflicting']} "
        f"--data-dir {data_dir} -o bundle.json && "
        "deconflict bundle verify bundle.json --trust-embedded",
        "",
        "Stop with Ctrl-C.",
    ]
    typer.echo("\n".join(lines))


def _print_state(service: Service, world: DemoWorld) -> None:
    roles = {notice_id: role for role, notice_id in world.notices.items()}
    rows: list[list[object]] = []
    for party in world.parties:
        for notice in service.list_notices(Caller(party.id), role="originator", limit=50).items:
            for d in notice.disclosures:
                rows.append(
                    [
                        notice.id,
                        roles.get(notice.id, ""),
                        notice.originator,
                        notice.purpose,
                        notice.state.value,
                        d.party,
                        round(d.lead_time_s),
                        d.short_notice,
                        d.ack_state.value,
                        d.escalation_tier,
                        len(notice.conflicts),
                    ]
                )
    print_table(
        [
            "notice",
            "shows",
            "from",
            "purpose",
            "state",
            "to",
            "lead_time_s",
            "short",
            "ack",
            "tier",
            "conflicts",
        ],
        rows,
    )


def demo(
    port: Annotated[int, typer.Option("--port", help="TCP port (0 picks a free one)")] = 8080,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="recreated fresh (only if empty or a demo's)")
    ] = Path("demo-data"),
    exit_after: Annotated[
        float | None, typer.Option("--exit-after", min=0, help="stop after SECONDS")
    ] = None,
) -> None:
    """Run a demonstration: two parties, an agreement, scripted notices, the live API."""
    with reporting():
        _fresh_dir(data_dir)
        sock: socket.socket = bind(host, port)
        admin_token = secrets.token_urlsafe(32)
        database = default_database_url(data_dir)
        script_clock = FakeClock(SystemClock().now() - SCRIPT_OFFSET)
        scripted = Service.open(database, clock=script_clock, admin_token=admin_token)
        try:
            world = run_script(scripted, script_clock)
        finally:
            scripted.close()
        service = open_service(database, admin_token)
        stop_witnesses = threading.Event()
        try:
            fired = service.tick()
            service.run_scheduler()
            url = display_url(sock)
            typer.echo(f"scheduler fired {fired} overdue timer(s) on start-up")
            _print_state(service, world)
            _example_file(data_dir / "example-notice.geojson", service.clock.now())
            document = {
                "url": url,
                "docs_url": f"{url}/docs",
                "admin_token": admin_token,
                "agreement_id": AGREEMENT_ID,
                "parties": [{"id": p.id, "name": p.name, "token": p.token} for p in world.parties],
                "notices": world.notices,
            }
            (data_dir / MARKER).write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
            _print_banner(url, admin_token, world, data_dir)
            service.publish_checkpoint(force=True)
            _start_witnesses(service, world, url, data_dir, stop_witnesses)
            run_server(service, sock, ServerOptions(log_level="warning"), exit_after_s=exit_after)
        finally:
            stop_witnesses.set()
            service.close()
            sock.close()
