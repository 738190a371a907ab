"""`deconflict demo`: a running service with two parties, an agreement and a day's worth of work.

The scripted activity (`demo_script`) is recorded through the service on a clock set
`SCRIPT_OFFSET` behind real time, then the service is reopened on the real clock: deadlines that
would take 15 to 30 minutes have already passed, so the scheduler fires the escalations as soon
as it starts (the same path a restart takes). One notice is left pending, due to escalate a few
minutes into the demo, so an event stream shows an escalation live.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import socket
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from deconflict.cli.output import CliError, print_table, reporting
from deconflict.cli.serve import (
    ServerOptions,
    bind,
    build_server,
    display_url,
    open_service,
    run_built,
)

if TYPE_CHECKING:
    from deconflict.cli.demo_script import DemoWorld
    from deconflict.service import Service

# The script, the service and the witnesses are imported when the demo runs, not for
# `deconflict demo --help`.

__all__ = ["demo"]

WITNESS_INTERVAL_S = 5.0
MARKER = "demo.json"


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


def _start_witnesses(
    service: Service, world: DemoWorld, url: str, data_dir: Path, stop: threading.Event
) -> list[threading.Thread]:
    """Each party's witness, as its own operations centre would run it: over HTTP, with a
    co-signing key registered for it and its state on disk."""
    import httpx

    from deconflict.domain import KeyPurpose
    from deconflict.log import Cosigner
    from deconflict.service import Caller
    from deconflict.witness import Witness

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


def _print_banner(
    url: str, admin_token: str, world: DemoWorld, data_dir: Path, feed_address: str
) -> None:
    from deconflict.cli.demo_script import AGREEMENT_ID, SCRIPT_OFFSET

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
        "The live picture: three aircraft circle the area on a Beast feed the service reads",
        f"({feed_address}): NRT11 is north's and STH21 south's by the callsign prefixes they",
        "declared, IAW123 is unattributed civil traffic; north also pushes its drone-1.",
        '  curl -s -H "Authorization: Bearer $NORTH" "$URL/tracks?format=states"',
        '  curl -sN -H "Authorization: Bearer $SOUTH" "$URL/tracks/stream"',
        f'  curl -s -H "Authorization: Bearer {admin_token}" "$URL/feeds"',
        "",
        "Stop with Ctrl-C.",
    ]
    typer.echo("\n".join(lines))


def _follow_alerts(service: Service, stop: threading.Event) -> threading.Thread:
    """Print each alert transition as the service records it, so the demo says what happened."""
    from deconflict.service import ADMIN

    def run() -> None:
        after = 0  # the scripted day's events are notices' only: every alert is new
        while not stop.is_set():
            for event in service.wait_for_events(ADMIN, after, 1.0):
                after = max(after, event.id)
                if event.kind.value.startswith("alert_"):
                    typer.echo(_alert_line(event.kind.value, event.data["alert"]))  # type: ignore[arg-type]

    thread = threading.Thread(target=run, name="demo-alerts", daemon=True)
    thread.start()
    return thread


def _alert_line(kind: str, alert: dict[str, Any]) -> str:
    """One alert transition as a line: what, about whom, the figures, who hears it."""
    about = " & ".join(f"{t['party'] or 'unattributed'}/{t['id']}" for t in alert["tracks"])
    about = about or f"{alert['party']}'s channel"
    if alert["area_id"]:
        about += f" -> area {alert['area_id']}"
    if alert["notice_id"]:
        about += f" outside notice {alert['notice_id']}"
    figures = ""
    if alert["tcpa_s"] is not None:
        figures = f", in {alert['tcpa_s']:.0f} s"
    if alert["dcpa_m"] is not None:
        figures += f" at {alert['dcpa_m'] / 1000:.1f} km"
    reason = f" ({alert['reason']})" if alert["reason"] else ""
    heard = ", ".join(alert["parties"])
    return (
        f"{kind.replace('_', ' ')}{reason}: {alert['kind']} {alert['tier']} {about}{figures}"
        f" [heard by {heard}]"
    )


def _print_state(service: Service, world: DemoWorld) -> None:
    from deconflict.service import Caller

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
    from deconflict.cli.demo_script import (
        AGREEMENT_ID,
        SCRIPT_OFFSET,
        run_script,
        write_example_notice,
    )
    from deconflict.cli.demo_traffic import DemoTraffic
    from deconflict.clock import FakeClock, SystemClock
    from deconflict.live import LivePicture
    from deconflict.service import Service, default_database_url

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
        live = LivePicture(service)
        traffic: DemoTraffic | None = None
        try:
            fired = service.tick()
            service.run_scheduler()
            url = display_url(sock)
            typer.echo(f"scheduler fired {fired} overdue timer(s) on start-up")
            _print_state(service, world)
            write_example_notice(data_dir / "example-notice.geojson", service.clock.now())
            document = {
                "url": url,
                "docs_url": f"{url}/docs",
                "admin_token": admin_token,
                "agreement_id": AGREEMENT_ID,
                "parties": [{"id": p.id, "name": p.name, "token": p.token} for p in world.parties],
                "notices": world.notices,
            }
            (data_dir / MARKER).write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
            live.start()
            traffic = DemoTraffic(service, live, world.notices["short_notice"])
            _print_banner(url, admin_token, world, data_dir, traffic.address)
            service.publish_checkpoint(force=True)
            _start_witnesses(service, world, url, data_dir, stop_witnesses)
            _follow_alerts(service, stop_witnesses)
            server = build_server(service, ServerOptions(log_level="warning"), live=live)
            run_built(server, sock, exit_after_s=exit_after)
        finally:
            stop_witnesses.set()
            if traffic is not None:
                traffic.close()
            live.close()
            service.close()
            sock.close()
