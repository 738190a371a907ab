"""`deconflict replay`: recorded traffic through the live path, as the current time.

With a party's token every state is pushed with `POST /tracks` as that party's track (id = the
ICAO address). The admin token may not push tracks; with it, replay acts as a receiver: it
serves the recording as a Beast feed on a local port, registers that feed with `POST /feeds`,
and declares `--party PREFIX=PARTY` as those parties' callsign prefixes, so the service
attributes the aircraft as it would real ADS-B traffic.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deconflict.cli.client import DEFAULT_URL, ApiClient, ProblemError, TokenOpt, UrlOpt
from deconflict.cli.output import CliError, reporting

if TYPE_CHECKING:
    from deconflict.ingest.replay import Recorded, Schedule

__all__ = ["parse_prefixes", "replay"]

MAX_BATCH = 10_000
"""`POST /tracks` takes at most this many tracks at once."""
_PUSH_EVERY_S = 0.5
_CONNECT_WAIT_S = 10.0


def parse_prefixes(values: list[str]) -> dict[str, str]:
    """`PREFIX=PARTY` pairs as {prefix: party}."""
    mapping: dict[str, str] = {}
    for value in values:
        prefix, sep, party = value.partition("=")
        if not sep or not prefix.strip() or not party.strip():
            raise CliError(f"--party: expected PREFIX=PARTY, got {value!r}")
        mapping[prefix.strip().upper()] = party.strip()
    return mapping


def replay(
    recording: Annotated[
        Path,
        typer.Argument(
            help="traffic state vectors (.json, .json.gz, .parquet) or a raw Beast recording"
        ),
    ],
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    speed: Annotated[
        float, typer.Option("--speed", help="how many times faster than recorded")
    ] = 1.0,
    shift_to: Annotated[
        str | None,
        typer.Option("--shift-to", metavar="LAT,LON", help="move the traffic to centre here"),
    ] = None,
    loop: Annotated[bool, typer.Option("--loop", help="start again after the last state")] = False,
    party: Annotated[
        list[str] | None,
        typer.Option(
            "--party",
            metavar="PREFIX=PARTY",
            help="with the admin token: callsigns starting PREFIX are PARTY's (repeatable)",
        ),
    ] = None,
    listen: Annotated[
        str,
        typer.Option(
            "--listen",
            metavar="HOST:PORT",
            help="with the admin token: where to serve the Beast feed the service connects to",
        ),
    ] = "127.0.0.1:0",
) -> None:
    """Play a recording into a running service as live traffic."""
    with reporting():
        from deconflict.cli.adsb import parse_receiver
        from deconflict.errors import InvalidInput
        from deconflict.ingest.replay import Schedule, read_recording, shifted

        target = parse_receiver(shift_to) if shift_to else None
        prefixes = parse_prefixes(party or [])
        try:
            states = read_recording(recording)
        except InvalidInput as exc:
            raise CliError(f"{recording}: {exc.detail}") from None
        except (OSError, ImportError) as exc:
            raise CliError(f"{recording}: {exc}") from None
        if not states:
            raise CliError(f"{recording}: no complete aircraft states to replay")
        if target is not None:
            states = shifted(states, target)
        try:
            schedule = Schedule(states, speed, loop=loop)
        except ValueError as exc:
            raise CliError(f"--speed: {exc}") from None
        from deconflict.cli.progress import progress_bars

        with ApiClient(url, token) as client, progress_bars() as bar:
            progress = bar("replaying states")
            if _is_admin(client):
                summary = _as_receiver(client, schedule, prefixes, listen, progress)
            else:
                if prefixes:
                    raise CliError("--party needs the admin token; a party's tracks are its own")
                summary = _as_party(client, schedule, progress)
        typer.echo(summary, err=True)


def _is_admin(client: ApiClient) -> bool:
    """Only the admin may list the feeds."""
    try:
        client.call("GET", "/feeds")
    except ProblemError as exc:
        if exc.status == 403:
            return False
        raise
    return True


def _run(
    schedule: Schedule,
    send: Callable[[list[tuple[Recorded, datetime]]], None],
    progress: Callable[[int, int], None] | None,
) -> int:
    """Hand each due state to `send` with its replay time, in real time; Ctrl-C stops.
    `progress` counts states through the current pass."""
    started, wall = time.monotonic(), datetime.now(UTC)
    sent = 0
    try:
        while (next_s := schedule.next_due_s()) is not None:
            elapsed = time.monotonic() - started
            if next_s > elapsed:
                time.sleep(min(next_s - elapsed, _PUSH_EVERY_S))
                continue
            due = schedule.due(elapsed)
            send([(state, wall + timedelta(seconds=offset)) for state, offset in due])
            sent += len(due)
            if progress is not None:
                total = len(schedule.states)
                progress(sent % total if schedule.loop else sent, total)
    except KeyboardInterrupt:
        pass
    return sent


def _as_party(
    client: ApiClient, schedule: Schedule, progress: Callable[[int, int], None] | None
) -> str:
    from deconflict.times import format_utc

    totals = {"accepted": 0, "stale": 0}

    def push(due: list[tuple[Recorded, datetime]]) -> None:
        tracks = [_track(state, format_utc(when)) for state, when in due]
        for start in range(0, len(tracks), MAX_BATCH):
            answer = client.call(
                "POST", "/tracks", body={"tracks": tracks[start : start + MAX_BATCH]}
            )
            for key in totals:
                totals[key] += int(answer.get(key, 0))

    sent = _run(schedule, push, progress)
    aircraft = len({s.icao24 for s in schedule.states})
    return (
        f"replayed {sent} states of {aircraft} aircraft at {schedule.speed:g}x: "
        f"{totals['accepted']} accepted, {totals['stale']} stale"
    )


def _track(state: Recorded, when: str) -> dict[str, Any]:
    track: dict[str, Any] = {
        "id": state.icao24,
        "time": when,
        "lat": round(state.lat, 7),
        "lon": round(state.lon, 7),
        "alt_m": round(state.alt_m, 2),
        "gs_mps": round(state.gs_mps, 3),
        "trk_deg": round(state.trk_deg, 3) % 360.0,
        "vs_mps": round(state.vs_mps, 3),
        "icao24": state.icao24,
    }
    if state.callsign:
        track["callsign"] = state.callsign
    return track


def _as_receiver(
    client: ApiClient,
    schedule: Schedule,
    prefixes: dict[str, str],
    listen: str,
    progress: Callable[[int, int], None] | None,
) -> str:
    for prefix, party_id in prefixes.items():
        declared = client.call("GET", f"/parties/{party_id}/aircraft")
        wanted = sorted({*declared.get("callsign_prefixes", []), prefix})
        body = {"icao24_ranges": declared.get("icao24_ranges", []), "callsign_prefixes": wanted}
        client.call("PUT", f"/parties/{party_id}/aircraft", body=body)
    from deconflict.ingest.beast_server import BeastServer

    host, _, port = listen.rpartition(":")
    try:
        server = BeastServer(host or "127.0.0.1", int(port))
    except (OSError, ValueError) as exc:
        raise CliError(f"--listen {listen}: {exc}") from None
    address = server.address

    def send(due: list[tuple[Recorded, datetime]]) -> None:
        # `due` is in schedule order, so the states of one moment stand together.
        for when, group in itertools.groupby(due, key=lambda pair: pair[1]):
            server.send(
                [
                    (s.icao24, s.lat, s.lon, s.alt_m, s.gs_mps, s.trk_deg, s.vs_mps, s.callsign)
                    for s, _ in group
                ],
                when,
            )

    try:
        feed = client.call("POST", "/feeds", body={"address": address})
        try:
            if not server.connected.wait(_CONNECT_WAIT_S):
                raise CliError(
                    f"the service did not connect to {address} within {_CONNECT_WAIT_S:g} s"
                )
            sent = _run(schedule, send, progress)
        finally:
            client.call("DELETE", f"/feeds/{feed['id']}")
    finally:
        server.close()
    aircraft = len({s.icao24 for s in schedule.states})
    return f"served {sent} states of {aircraft} aircraft at {schedule.speed:g}x as {address}"
