"""`deconflict plan check`: every conflicting pair among a day's planned volumes.

Reads a GeoJSON FeatureCollection (each Feature with an `id`, a Polygon/MultiPolygon or a Point
with `properties.radius_m`, `alt_lower_m`/`alt_upper_m`, `time_start`/`time_end`), writes CSV
`id1,id2,overlap_start,overlap_end,min_distance_m`, one row per conflicting pair with
`id1 < id2` as strings, sorted. A malformed feature stops the run with one line naming the
feature and the field, and exit code 2.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from deconflict.cli.files import read_json
from deconflict.cli.output import CliError, reporting
from deconflict.cli.progress import ProgressCallback, progress_bars
from deconflict.errors import InvalidInput
from deconflict.times import format_utc

if TYPE_CHECKING:
    from deconflict.detection.strategic import Conflict
    from deconflict.geometry import Volume

# The geometry and the strategic engine (numba, shapely, pyproj) are imported when a plan is
# read or checked, not for `deconflict plan --help`.

__all__ = ["PLAN_CSV_COLUMNS", "app", "check", "read_plan", "write_conflicts"]

PLAN_CSV_COLUMNS = ("id1", "id2", "overlap_start", "overlap_end", "min_distance_m")

app = typer.Typer(
    help="The daily plan: check a whole day's volumes against each other.",
    no_args_is_help=True,
)


def read_plan(document: object, progress: ProgressCallback | None = None) -> dict[str, Volume]:
    """The volumes of a FeatureCollection by feature id; `CliError` names the first bad one.
    `progress` is called with (features read, features) after each."""
    from deconflict.geometry.formats import volume_from_geojson

    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        raise CliError("input must be a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, Sequence) or isinstance(features, str):
        raise CliError("/features: must be an array of Features")
    volumes: dict[str, Volume] = {}
    for i, feature in enumerate(features):
        where = f"feature #{i}"
        raw_id = feature.get("id") if isinstance(feature, Mapping) else None
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
            raise CliError(f"{where}: /features/{i}/id: every feature needs a string or number id")
        key = str(raw_id)
        where = f"feature {key!r}"
        if key in volumes:
            raise CliError(f"{where}: /features/{i}/id: id is used twice")
        try:
            volumes[key] = volume_from_geojson(feature)
        except InvalidInput as exc:
            first = exc.errors[0] if exc.errors else None
            field = f"/features/{i}{first.pointer}: {first.detail}" if first else exc.detail
            more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
            raise CliError(f"{where}: {field}{more}") from None
        if progress is not None:
            progress(i + 1, len(features))
    return volumes


def write_conflicts(conflicts: Sequence[Conflict], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PLAN_CSV_COLUMNS)
    for c in conflicts:
        writer.writerow(
            [
                c.first,
                c.second,
                format_utc(c.overlap_start),
                format_utc(c.overlap_end),
                f"{c.min_distance_m:.3f}",
            ]
        )


@app.command("check")
def check(
    volumes_file: Annotated[
        Path,
        typer.Argument(
            metavar="VOLUMES.geojson",
            help="GeoJSON FeatureCollection of the planned volumes.",
            show_default=False,
        ),
    ],
    buffer_h: Annotated[
        float, typer.Option("--buffer-h", metavar="M", help="Horizontal buffer, metres.")
    ] = 0.0,
    buffer_v: Annotated[
        float, typer.Option("--buffer-v", metavar="M", help="Vertical buffer, metres.")
    ] = 0.0,
    buffer_t: Annotated[
        float, typer.Option("--buffer-t", metavar="S", help="Time buffer, seconds.")
    ] = 0.0,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the CSV here instead of to stdout."),
    ] = None,
) -> None:
    """Every pair of volumes closer than the buffers in time, altitude and on the ground."""
    from deconflict.detection.strategic import Buffers, conflicts_among

    with reporting():
        try:
            buffers = Buffers(horizontal_m=buffer_h, vertical_m=buffer_v, time_s=buffer_t)
        except InvalidInput as exc:
            raise CliError(f"buffers: {exc.errors[0].pointer}: {exc.errors[0].detail}") from None
        document = read_json(volumes_file)
        with progress_bars() as bar:
            volumes = read_plan(document, bar("reading volumes"))
            conflicts = conflicts_among(volumes, buffers, progress=bar("checking volumes"))
        if output is None:
            write_conflicts(conflicts, sys.stdout)
        else:
            try:
                with output.open("w", encoding="utf-8", newline="") as out:
                    write_conflicts(conflicts, out)
            except OSError as exc:
                raise CliError(f"cannot write {output}: {exc.strerror}") from None
