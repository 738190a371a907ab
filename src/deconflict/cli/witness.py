"""`deconflict witness …`: run a party's witness against a server, or make its cosigning key.

    deconflict witness keygen --party ID --key FILE
    deconflict witness --party ID --url URL --token T --key FILE --state DIR [--interval 5] [--once]

The key file holds the C2SP signer key (`PRIVATE+KEY+<party>+…`), readable by its owner only.
Register the public key it prints as the party's `cosign` key (`POST /parties/{id}/keys`); it
must differ from the party's acknowledgement key. `--once` runs one round and exits 1 if it found
a split view or could not finish; without it the witness runs until interrupted.
"""

from __future__ import annotations

import base64
import logging
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deconflict.cli.client import DEFAULT_URL, TokenOpt, UrlOpt
from deconflict.cli.output import CliError, reporting
from deconflict.errors import DeconflictError

if TYPE_CHECKING:
    from deconflict.log import Cosigner
    from deconflict.witness import Outcome, Witness

# httpx, the log and the witness are imported by the commands, not for `witness --help`.

__all__ = ["app"]

MAX_INTERVAL_S = 10.0
"""Witnesses co-sign at least every 10 s while the log grows."""

app = typer.Typer(
    help="A party's witness: verify the log's checkpoints and co-sign the consistent ones.",
    invoke_without_command=True,
)

PartyOpt = Annotated[str | None, typer.Option("--party", help="the party this witness speaks for")]
KeyOpt = Annotated[
    Path | None, typer.Option("--key", help="file with the party's cosigning (signer) key")
]


@app.callback()
def witness(
    ctx: typer.Context,
    party: PartyOpt = None,
    url: UrlOpt = DEFAULT_URL,
    token: TokenOpt = None,
    key: KeyOpt = None,
    state: Annotated[
        Path | None, typer.Option("--state", help="directory for the witness's state and evidence")
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", help="seconds between rounds (at most 10)")
    ] = 5.0,
    once: Annotated[bool, typer.Option("--once", help="run one round and exit")] = False,
    log_key: Annotated[
        str | None,
        typer.Option(
            "--log-key", help="the log's vkey; pinned from the server on first run if absent"
        ),
    ] = None,
) -> None:
    """Verify and co-sign the log's checkpoints for one party (see also `witness keygen`)."""
    if ctx.invoked_subcommand is not None:
        return
    import httpx

    from deconflict.witness import Witness

    with reporting():
        if party is None or token is None or key is None or state is None:
            given = {"--party": party, "--token": token, "--key": key, "--state": state}
            missing = ", ".join(name for name, value in given.items() if value is None)
            raise CliError(f"witness needs {missing}")
        if not 0 < interval <= MAX_INTERVAL_S:
            raise CliError(f"--interval must be in (0, {MAX_INTERVAL_S:g}] seconds")
        cosigner = _read_key(key)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30.0) as client:
            try:
                runner = Witness(client, party, cosigner, state, log_key)
            except DeconflictError as exc:
                raise CliError(exc.detail) from None
            if once:
                _once(runner)
                return
            _forever(runner, interval)


def _read_key(path: Path) -> Cosigner:
    from deconflict.log import Cosigner

    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CliError(f"cannot read key file {path}: {exc.strerror or exc}") from None
    try:
        return Cosigner.from_skey(text)
    except DeconflictError as exc:
        raise CliError(f"{path}: {exc.detail}") from None


def _once(runner: Witness) -> None:
    try:
        outcome = runner.run_once()
    except DeconflictError as exc:
        raise CliError(exc.detail, 1) from None
    typer.echo(_summary(outcome))
    for alert in outcome.alerts:
        typer.echo(f"ALERT {alert.kind}: {alert.detail}", err=True)
        if alert.evidence is not None:
            typer.echo(f"  evidence kept in {alert.evidence}", err=True)
    if outcome.alerts:
        raise typer.Exit(1)


def _summary(outcome: Outcome) -> str:
    if outcome.size is None:
        return "no checkpoint published yet; nothing to co-sign"
    if outcome.cosigned:
        return f"co-signed size {outcome.size} ({outcome.entries_checked} entries checked)"
    return f"refused to co-sign size {outcome.size}"


def _forever(runner: Witness, interval_s: float) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo(f"witness for {runner.party_id} running every {interval_s:g} s; stop with Ctrl-C")
    runner.run(interval_s, stop)


@app.command("keygen")
def keygen(
    party: Annotated[str, typer.Option("--party", help="the party id (the key's name)")],
    key: Annotated[Path, typer.Option("--key", help="file to write the signer key to")],
) -> None:
    """Make a cosigning key: write its signer key to FILE (mode 0600), print its public key."""
    from deconflict.log import Cosigner

    with reporting():
        try:
            cosigner = Cosigner.generate(party)
        except DeconflictError as exc:
            raise CliError(f"--party: {exc.detail}") from None
        try:
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CliError(f"{key} already exists; refusing to overwrite a key") from None
        except OSError as exc:
            raise CliError(f"cannot create {key}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(cosigner.skey() + "\n")
        verifier = cosigner.verifier()
        typer.echo(base64.b64encode(verifier.public_key).decode())
        typer.echo(f"vkey: {verifier.vkey()}", err=True)
        typer.echo(
            f"register it as party {party}'s cosign key: POST /parties/{party}/keys "
            '{"purpose": "cosign", "key_b64": <the line above>}',
            err=True,
        )
