"""`deconflict adsb decode`: positions from a raw Beast recording, by the live path's decoder.

Writes CSV `t_s,icao24,lat,lon,alt_m,gs_mps,trk_deg,vs_mps,callsign,gnss_alt_m`, one row per
decoded position message; `t_s` is the receiver's 12 MHz counter in seconds. Counts of what
was read, skipped and decoded go to stderr.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from deconflict.cli.output import CliError, reporting

if TYPE_CHECKING:
    from deconflict.ingest.aircraft import Position

__all__ = ["POSITIONS_CSV_COLUMNS", "app", "parse_receiver", "write_positions"]

POSITIONS_CSV_COLUMNS = (
    "t_s",
    "icao24",
    "lat",
    "lon",
    "alt_m",
    "gs_mps",
    "trk_deg",
    "vs_mps",
    "callsign",
    "gnss_alt_m",
)
_CHUNK_BYTES = 1 << 20

app = typer.Typer(help="ADS-B (Mode S) recordings.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """ADS-B (Mode S) recordings."""


def parse_receiver(text: str | None) -> tuple[float, float] | None:
    """`LAT,LON` in degrees WGS84, or None."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        lat, lon = (float(part) for part in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        lat = lon = None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CliError(f"--receiver: expected LAT,LON in degrees, got {text!r}")
    return lat, lon


@app.command()
def decode(
    recording: Annotated[
        Path, typer.Argument(help="A raw Beast recording (as served on port 30005).")
    ],
    receiver: Annotated[
        str | None,
        typer.Option(
            "--receiver",
            metavar="LAT,LON",
            help="The receiver's position, degrees: needed to decode surface positions.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the CSV here, not to stdout.")
    ] = None,
) -> None:
    """Decode every position in a Beast recording, as the live feed would."""
    with reporting():
        from deconflict.cli.progress import progress_bars
        from deconflict.ingest.adsb import decode_beast

        where = parse_receiver(receiver)
        try:
            with progress_bars() as bar:
                chunks = _chunks(recording, bar("decoding frames"))
                positions, counts = decode_beast(chunks, where)
        except OSError as exc:
            raise CliError(f"{recording}: {exc.strerror or exc}") from None
        if output is None:
            write_positions(positions, sys.stdout)
        else:
            try:
                with output.open("w", newline="", encoding="utf-8") as sink:
                    write_positions(positions, sink)
            except OSError as exc:
                raise CliError(f"{output}: {exc.strerror or exc}") from None
        typer.echo(describe_counts(counts, len(positions)), err=True)


def _chunks(path: Path, progress: Callable[[int, int], None] | None) -> Iterator[bytes]:
    """The file in 1 MiB pieces; `progress` counts bytes read."""
    total = path.stat().st_size
    done = 0
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK_BYTES):
            yield chunk
            done += len(chunk)
            if progress is not None:
                progress(done, total)


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_positions(positions: list[Position], sink: TextIO) -> None:
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(POSITIONS_CSV_COLUMNS)
    for p in positions:
        writer.writerow(
            (
                f"{p.t_s:.6f}",
                p.icao24,
                _number(p.lat, 6),
                _number(p.lon, 6),
                _number(p.alt_m, 1),
                _number(p.gs_mps, 2),
                _number(p.trk_deg, 2),
                _number(p.vs_mps, 2),
                p.callsign or "",
                _number(p.gnss_alt_m, 1),
            )
        )


def describe_counts(counts: Counter[str], positions: int) -> str:
    """Frames read, each skip reason, and decoded frames per downlink format, on a few lines."""
    from deconflict.ingest.adsb import REASONS

    lines = [f"frames read: {counts['frames']}; positions: {positions}"]
    lines.append("skipped: " + ", ".join(f"{reason} {counts[reason]}" for reason in REASONS))
    formats = sorted((key for key in counts if key.startswith("df")), key=lambda k: int(k[2:]))
    decoded = ", ".join(f"DF{key[2:]} {counts[key]}" for key in formats) or "none"
    lines.append(f"decoded: {decoded}")
    return "\n".join(lines)
