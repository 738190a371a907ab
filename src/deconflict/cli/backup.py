"""`deconflict backup` and `deconflict restore`: the embedded SQLite database, copied while the
server runs and put back while it is stopped.

    deconflict backup --data-dir DIR -o FILE [--force]
    deconflict restore FILE --data-dir DIR [--force]

A restore then opens the restored database (migrating it if the backup is older), recomputes
the log as `deconflict log verify` does and names how far each party co-signed. A restore that
rolls the log back behind a checkpoint a witness co-signed cannot be hidden: that witness
refuses the smaller checkpoint as a split view. PostgreSQL: `pg_dump`/`pg_restore` (README).
Exit codes: 0 done (and verified), 1 the restored log does not verify or a write failed, 2 bad
input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deconflict.cli.output import CliError, reporting
from deconflict.cli.progress import progress_bars

if TYPE_CHECKING:
    from deconflict.service import BackupSummary

# The service is imported by the commands, not for `deconflict backup --help`.

__all__ = ["backup", "restore"]

DataDirOpt = Annotated[
    Path, typer.Option("--data-dir", help="directory of the embedded SQLite database")
]


def _held(summary: BackupSummary) -> str:
    checkpoint = "none" if summary.checkpoint_size is None else str(summary.checkpoint_size)
    return (
        f"{summary.log_size} log entries, latest checkpoint {checkpoint}, schema {summary.revision}"
    )


def backup(
    output: Annotated[Path, typer.Option("-o", "--output", help="the backup file to write")],
    data_dir: DataDirOpt = Path("data"),
    force: Annotated[bool, typer.Option("--force", help="replace an existing output file")] = (
        False
    ),
) -> None:
    """Copy the database in --data-dir to one file, consistent even while the server writes."""
    from deconflict.service import BackupError, BackupWriteError, backup_sqlite, database_file

    with reporting():
        source = database_file(data_dir)
        if not source.is_file():
            raise CliError(f"no deconflict database in {data_dir}")
        if output.exists() and not force:
            raise CliError(f"{output} exists; give --force to replace it")
        try:
            summary = backup_sqlite(source, output)
        except BackupError as exc:
            raise CliError(exc.detail, 1 if isinstance(exc, BackupWriteError) else 2) from None
        typer.echo(f"backed up {source} to {output}: {_held(summary)}")


def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `deconflict backup`")],
    data_dir: DataDirOpt = Path("data"),
    force: Annotated[
        bool, typer.Option("--force", help="replace the database in a non-empty --data-dir")
    ] = False,
) -> None:
    """Put a backup in --data-dir (stop the server first), then verify the restored log."""
    from deconflict.service import BackupError, BackupWriteError, database_file, restore_sqlite

    with reporting():
        if not file.is_file():
            raise CliError(f"no backup file {file}")
        if data_dir.exists() and not data_dir.is_dir():
            raise CliError(f"--data-dir {data_dir} is not a directory")
        if data_dir.is_dir() and any(data_dir.iterdir()) and not force:
            raise CliError(f"{data_dir} is not empty; give --force to replace its database")
        try:
            summary = restore_sqlite(file, database_file(data_dir))
        except BackupError as exc:
            raise CliError(exc.detail, 1 if isinstance(exc, BackupWriteError) else 2) from None
        typer.echo(f"restored {file} to {database_file(data_dir)}: {_held(summary)}")
        _verify(data_dir)


def _verify(data_dir: Path) -> None:
    """Recompute the restored log; say how far each party's witness co-signed it."""
    from deconflict.service import Service, default_database_url

    try:
        service = Service.open(default_database_url(data_dir))
    except Exception as exc:
        raise CliError(
            f"cannot open the restored database: {type(exc).__name__}: {exc}", 1
        ) from None
    try:
        with progress_bars() as bar:
            problems = service.verify_log(progress=bar("checking log entries"))
        snapshot = service.status_snapshot()
    finally:
        service.close()
    for problem in problems:
        typer.echo(f"{problem.where}: {problem.detail}")
    if problems:
        raise CliError(f"the restored log does not verify: {len(problems)} problem(s)", 1)
    typer.echo(f"log verified: {snapshot.log_size} entries match their leaf hashes and checkpoints")
    for party, lag in snapshot.witnesses.items():
        if lag.last_cosigned_at is None:
            typer.echo(f"  {party}: co-signed nothing")
        else:
            signed = snapshot.log_size - lag.entries
            typer.echo(f"  {party}: co-signed up to size {signed}")
    typer.echo(
        "if a witness co-signed a larger checkpoint than this backup holds, it will refuse this "
        "log as a split view: restore a newer backup if there is one"
    )
