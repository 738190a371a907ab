"""The `deconflict` command line: run the service or the demo, and talk to a running server."""

from __future__ import annotations

import typer

from deconflict.cli import adsb, agreement, notice, party, plan, record, witness
from deconflict.cli.backup import backup, restore
from deconflict.cli.demo import demo
from deconflict.cli.detect import detect
from deconflict.cli.replay import replay
from deconflict.cli.serve import serve

__all__ = ["main", "root"]

root = typer.Typer(
    name="deconflict",
    help="Airspace deconfliction between parties: advance notices, checks, acknowledgements.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
root.command()(serve)
root.command()(demo)
root.command()(backup)
root.command()(restore)
root.add_typer(party.app, name="party")
root.add_typer(agreement.app, name="agreement")
root.add_typer(notice.app, name="notice")
root.add_typer(witness.app, name="witness")
root.add_typer(record.bundle_app, name="bundle")
root.add_typer(record.log_app, name="log")
root.add_typer(plan.app, name="plan")
root.command()(detect)
root.add_typer(adsb.app, name="adsb")
root.command()(replay)


def main() -> None:
    """Console-script entry point."""
    root()
