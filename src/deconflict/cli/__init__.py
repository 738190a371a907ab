"""The `deconflict` command line: run the service or the demo, and talk to a running server.

A command's module is imported only when that command runs. `main` loads the one command its
arguments name (the first word that is not an option: the root has no option taking a value)
and lists the others from `COMMANDS`, a table of names and one-line help, so `deconflict
--help`, `--version` and a client command like `deconflict notice …` never import numba,
shapely, FastAPI or SQLAlchemy. `root` is every command loaded (for tests and scripts that
invoke it in-process); it is built on first use.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated

import typer

__all__ = ["COMMANDS", "Command", "main", "make_root", "named_command", "root"]

HELP = "Airspace deconfliction between parties: advance notices, checks, acknowledgements."


@dataclass(frozen=True, slots=True)
class Command:
    """Where a top-level command lives: `deconflict.cli.<module>.<attribute>`, a command
    function or a `typer.Typer` group, and its help's first line (`--help` lists that without
    importing the module; a test keeps the two equal)."""

    module: str
    attribute: str
    help: str

    def load(self) -> object:
        return getattr(importlib.import_module(f"deconflict.cli.{self.module}"), self.attribute)


COMMANDS: dict[str, Command] = {
    "serve": Command(
        "serve", "serve", "Run the deconfliction service and its HTTP API (docs at /docs)."
    ),
    "demo": Command(
        "demo",
        "demo",
        "Run a demonstration: two parties, an agreement, scripted notices, the live API.",
    ),
    "backup": Command(
        "backup",
        "backup",
        "Copy the database in --data-dir to one file, consistent even while the server writes.",
    ),
    "restore": Command(
        "backup",
        "restore",
        "Put a backup in --data-dir (stop the server first), then verify the restored log.",
    ),
    "detect": Command(
        "detect",
        "detect",
        "Find aircraft pairs predicted to lose separation within the look-ahead time.",
    ),
    "party": Command(
        "party", "app", "Parties: the air forces, operators and agencies taking part."
    ),
    "agreement": Command(
        "agreement", "app", "Agreements: who deconflicts with whom, and on which terms."
    ),
    "notice": Command(
        "notice", "app", "Notices: advance notice of an operation, and their acknowledgements."
    ),
    "witness": Command(
        "witness",
        "app",
        "A party's witness: verify the log's checkpoints and co-sign the consistent ones.",
    ),
    "bundle": Command(
        "record",
        "bundle_app",
        "Offline proof bundles: everything about one notice, checkable alone.",
    ),
    "log": Command(
        "record",
        "log_app",
        "The verifiable record: check the stored log against its checkpoints.",
    ),
    "plan": Command(
        "plan", "app", "The daily plan: check a whole day's volumes against each other."
    ),
    "adsb": Command("adsb", "app", "ADS-B (Mode S) recordings."),
    "replay": Command(
        "replay", "replay", "Play a recording into a running service as live traffic."
    ),
}


def _version() -> str:
    """The installed distribution's version; the package's own when run from a source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("deconflict")
    except PackageNotFoundError:
        from deconflict import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"deconflict {_version()}")
        raise typer.Exit()


def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """The root's own options (`--version`); the commands do the work."""


def _not_loaded() -> None:
    """Stands in for a command `make_root` did not load, so `--help` can list it."""
    raise RuntimeError("this command was not loaded")  # main loads the command it runs


def make_root(load: Collection[str]) -> typer.Typer:
    """The `deconflict` command with the commands named in `load` imported and the others
    listed by name and help only."""
    app = typer.Typer(
        name="deconflict",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_options)
    for name, command in COMMANDS.items():
        if name not in load:
            app.command(name, help=command.help)(_not_loaded)
            continue
        target = command.load()
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        elif callable(target):
            app.command(name)(target)
        else:
            raise TypeError(f"{command.module}.{command.attribute} is not a command")
    return app


def named_command(args: Sequence[str]) -> str | None:
    """The command `args` run: the first that is not an option, if there is one."""
    return next((arg for arg in args if not arg.startswith("-")), None)


@cache
def _full_root() -> typer.Typer:
    return make_root(COMMANDS.keys())


def __getattr__(name: str) -> typer.Typer:
    # `root` loads every command; built on first use so that importing a submodule (which
    # imports this package) stays light.
    if name == "root":
        return _full_root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    name = named_command(sys.argv[1:])
    make_root({name} if name is not None else set())()
