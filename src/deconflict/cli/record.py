"""`deconflict bundle …` and `deconflict log …`: the verifiable record from the command line.

    deconflict bundle export --notice ID [--database URL | --data-dir DIR] -o FILE
    deconflict bundle verify FILE (--trust KEYS_FILE | --trust-embedded)
    deconflict log verify [--database URL | --data-dir DIR]

Export and `log verify` read the service's database directly (run them where it lives);
`bundle verify` needs nothing but the file and a file of verifier keys (C2SP vkeys, one per
line, `#` comments allowed) obtained separately from the log and the parties: the keys inside a
bundle prove only that it is consistent, since whoever forges one signs it with keys of their
own. `--trust-embedded` verifies against those keys anyway, with a warning.
Exit codes: 0 verified, 1 verification failed (or the database could not be opened), 2 bad input
(the keys not pinned among it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deconflict.cli.output import CliError, reporting
from deconflict.cli.progress import progress_bars
from deconflict.errors import DeconflictError, InvalidInput, NotFound

if TYPE_CHECKING:
    from deconflict.service import Service

# The service, the log and the evidence are imported by the commands that use them, not for
# `deconflict bundle --help`.

__all__ = ["bundle_app", "log_app"]

bundle_app = typer.Typer(
    help="Offline proof bundles: everything about one notice, checkable alone."
)
log_app = typer.Typer(help="The verifiable record: check the stored log against its checkpoints.")

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="DECONFLICT_DATABASE_URL",
        help="SQLAlchemy URL of the service's database (default: SQLite in --data-dir)",
    ),
]
DataDirOpt = Annotated[
    Path, typer.Option("--data-dir", help="directory of the embedded SQLite database")
]


def _open(database: str | None, data_dir: Path) -> Service:
    from sqlalchemy.engine import make_url

    from deconflict.service import Service, default_database_url

    if database is None:
        if not (data_dir / "deconflict.db").is_file():
            raise CliError(f"no deconflict database in {data_dir}; give --data-dir or --database")
        database = default_database_url(data_dir)
    try:
        return Service.open(database)
    except Exception as exc:
        safe = make_url(database).render_as_string(hide_password=True)
        raise CliError(f"cannot open database {safe}: {type(exc).__name__}: {exc}", 1) from None


@bundle_app.command("export")
def export(
    notice: Annotated[str, typer.Option("--notice", help="the notice id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="file to write the bundle to")],
    database: DatabaseOpt = None,
    data_dir: DataDirOpt = Path("data"),
) -> None:
    """Write the proof bundle of one notice against the latest checkpoint."""
    with reporting():
        service = _open(database, data_dir)
        try:
            with progress_bars() as bar:
                bundle = service.export_bundle(notice, progress=bar("proving entries"))
        except DeconflictError as exc:
            code = 2 if isinstance(exc, InvalidInput | NotFound) else 1
            raise CliError(exc.detail, code) from None
        finally:
            service.close()
        try:
            output.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror or exc}", 1) from None
        typer.echo(
            f"wrote {output}: {len(bundle['entries'])} entries, "
            f"{len(bundle['keys']['witnesses'])} witness keys, "
            f"{len(bundle['cosigned'])} earlier co-signed checkpoints"
        )


def _read_trust(path: Path) -> tuple[list[str], list[str]]:
    """(log keys, witness keys) from a file of vkeys, one per line."""
    from deconflict.log import CosignatureVerifier, parse_verifier

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    logs: list[str] = []
    witnesses: list[str] = []
    for number, line in enumerate(lines, 1):
        vkey = line.strip()
        if not vkey or vkey.startswith("#"):
            continue
        try:
            verifier = parse_verifier(vkey)
        except DeconflictError as exc:
            raise CliError(f"{path}:{number}: {exc.detail}") from None
        (witnesses if isinstance(verifier, CosignatureVerifier) else logs).append(vkey)
    if not logs:
        raise CliError(f"{path} holds no log (Ed25519) verifier key")
    return logs, witnesses


NOT_PINNED = (
    "the keys are not pinned: give --trust KEYS_FILE, the log's and the parties' vkeys obtained "
    "separately, or --trust-embedded to verify against the keys inside the bundle"
)
EMBEDDED_WARNING = (
    "warning: verifying against the keys inside the bundle, which anyone who forged it would "
    "have made; this shows the bundle consistent, not who signed it (pin keys with --trust)"
)


def _read_bundle(path: Path) -> Any:
    from deconflict.evidence import load_bundle

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return load_bundle(raw)
    except InvalidInput as exc:
        raise CliError(f"{path} is {exc.detail}") from None


@bundle_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="the bundle file")],
    trust: Annotated[
        Path | None,
        typer.Option("--trust", help="file of vkeys, obtained separately, to pin the keys to"),
    ] = None,
    trust_embedded: Annotated[
        bool,
        typer.Option(
            "--trust-embedded", help="verify against the keys inside the bundle (not pinned)"
        ),
    ] = False,
) -> None:
    """Check a bundle offline against pinned keys and print the timeline it proves."""
    from deconflict.cli.timeline import render_timeline
    from deconflict.evidence import BundleError, verify_bundle

    with reporting():
        if trust is not None and trust_embedded:
            raise CliError("give --trust or --trust-embedded, not both")
        if trust is None and not trust_embedded:
            raise CliError(NOT_PINNED)
        logs, witnesses = _read_trust(trust) if trust is not None else (None, None)
        document = _read_bundle(file)
        if trust_embedded:
            typer.echo(EMBEDDED_WARNING, err=True)
        try:
            timeline = verify_bundle(document, logs, witnesses)
        except BundleError as exc:
            raise CliError(f"bundle does not verify: {exc.detail}", 1) from None
        typer.echo(render_timeline(timeline), nl=False)


@log_app.command("verify")
def verify_log(database: DatabaseOpt = None, data_dir: DataDirOpt = Path("data")) -> None:
    """Recompute the tree from the stored entries; print every problem by index, exit 1 if any."""
    with reporting():
        service = _open(database, data_dir)
        try:
            with progress_bars() as bar:
                problems = service.verify_log(progress=bar("checking log entries"))
            size = service.log_size()
        finally:
            service.close()
        for problem in problems:
            typer.echo(f"{problem.where}: {problem.detail}")
        if problems:
            raise CliError(f"the log does not verify: {len(problems)} problem(s)", 1)
        typer.echo(f"log verified: {size} entries match their leaf hashes, nodes and checkpoints")
