"""`deconflict detect`: tactical conflicts among aircraft states read from a file.

Writes CSV `id1,id2,tcpa_s,dcpa_m,tin_s,tout_s,los`, one row per pair with `id1 < id2`, sorted;
`tin_s` and `tout_s` are not clipped to the look-ahead window and may be `inf` or `-inf`.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from deconflict.cli.output import CliError, reporting
from deconflict.detection import tactical
from deconflict.detection.tactical.types import DEFAULT_HPZ_M, DEFAULT_LOOKAHEAD_S, DEFAULT_RPZ_M
from deconflict.errors import InvalidInput
from deconflict.ingest.states import read_states
from deconflict.times import parse_iso

__all__ = ["CONFLICTS_CSV_COLUMNS", "detect", "write_conflicts"]

CONFLICTS_CSV_COLUMNS = ("id1", "id2", "tcpa_s", "dcpa_m", "tin_s", "tout_s", "los")


def detect(
    states: Annotated[
        Path,
        typer.Argument(
            help="Aircraft states: CSV (id,lat,lon,alt_m,gs_mps,trk_deg,vs_mps) or traffic "
            "state vectors (.json, .json.gz, .parquet; feet, knots, ft/min).",
            show_default=False,
        ),
    ],
    rpz: Annotated[
        float, typer.Option("--rpz", metavar="M", help="Horizontal separation radius, metres.")
    ] = DEFAULT_RPZ_M,
    hpz: Annotated[
        float, typer.Option("--hpz", metavar="M", help="Vertical separation half-height, metres.")
    ] = DEFAULT_HPZ_M,
    lookahead: Annotated[
        float, typer.Option("--lookahead", metavar="S", help="Look-ahead time, seconds.")
    ] = DEFAULT_LOOKAHEAD_S,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="For state vectors: each aircraft's latest airborne state at or before this "
            "ISO 8601 time with a zone (e.g. 2021-10-07T13:00:00Z), at most 10 s old. "
            "Default: the time of the last record.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the CSV here instead of to stdout."),
    ] = None,
) -> None:
    """Find aircraft pairs predicted to lose separation within the look-ahead time."""
    with reporting():
        try:
            when = parse_iso(at, "/at") if at is not None else None
        except InvalidInput as exc:
            raise CliError(f"--at: {exc.detail}") from None
        try:
            aircraft = read_states(states, when)
            conflicts = tactical.detect(aircraft, rpz, hpz, lookahead)
        except InvalidInput as exc:
            raise CliError(f"{states}: {exc.detail}") from None
        except (OSError, ImportError) as exc:
            raise CliError(f"{states}: {exc}") from None
        if output is None:
            write_conflicts(conflicts, sys.stdout)
            return
        try:
            with output.open("w", newline="", encoding="utf-8") as sink:
                write_conflicts(conflicts, sink)
        except OSError as exc:
            raise CliError(f"{output}: {exc}") from None


def write_conflicts(conflicts: list[tactical.TacticalConflict], sink: TextIO) -> None:
    """The conflicts as CSV; floats in their shortest exact form (`repr`), `inf` unclipped."""
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(CONFLICTS_CSV_COLUMNS)
    for c in conflicts:
        los = "true" if c.los else "false"
        writer.writerow((c.id1, c.id2, c.tcpa_s, c.dcpa_m, c.tin_s, c.tout_s, los))
