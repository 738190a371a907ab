"""The root command: what `deconflict --help`, `--version` and a command's `--help` import, and
the table `--help` lists the commands from.

Structural, not timed: each case runs the real entry point in a fresh interpreter and looks at
`sys.modules` when it exits (bench/cli_startup.py measures the time and memory)."""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from deconflict.cli import COMMANDS, named_command, root

HEAVY = ("numba", "shapely", "fastapi", "sqlalchemy", "numpy", "pyproj", "httpx", "uvicorn")
"""What printing help must not import: the cores' numerics, the server, the database, and
httpx (~0.1 s: it imports its own command line, with rich and click)."""

LOADS_CORES = {
    "detect": "its defaults are the tactical core's, and deconflict.detection loads numba"
}
"""Commands whose --help still imports a core, and why."""

PROBE = """
import atexit, json, sys
def report(path):
    with open(path, "w") as f:
        json.dump(sorted(sys.modules), f)
atexit.register(report, sys.argv[1])
sys.argv = ["deconflict", *sys.argv[2:]]
from deconflict.cli import main
main()
"""


def modules_after(tmp_path: Path, *args: str) -> set[str]:
    """The modules imported by the time `deconflict ARGS` exits; its exit code must be 0."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout, "printed nothing"
    return set(json.loads(out.read_text()))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("args", [["--help"], ["--version"]], ids=" ".join)
def test_root_imports_no_command(tmp_path: Path, args: list[str]) -> None:
    modules = modules_after(tmp_path, *args)
    assert heavy_in(modules) == []
    loaded = {f"deconflict.cli.{c.module}" for c in COMMANDS.values()} & modules
    assert loaded == set(), "the root listed its commands by importing them"


@pytest.mark.parametrize("name", [n for n in COMMANDS if n not in LOADS_CORES])
def test_a_commands_help_imports_no_core(tmp_path: Path, name: str) -> None:
    modules = modules_after(tmp_path, name, "--help")
    assert heavy_in(modules) == []
    assert f"deconflict.cli.{COMMANDS[name].module}" in modules


def test_main_loads_only_the_command_named(tmp_path: Path) -> None:
    modules = modules_after(tmp_path, "notice", "--help")
    loaded = {c.module for c in COMMANDS.values() if f"deconflict.cli.{c.module}" in modules}
    assert loaded == {"notice"}


@pytest.mark.parametrize(
    "args",
    [["notice", "submit", "--help"], ["party", "token", "rotate", "--help"]],
    ids=" ".join,
)
def test_a_client_subcommands_help_imports_no_core(tmp_path: Path, args: list[str]) -> None:
    assert heavy_in(modules_after(tmp_path, *args)) == []


def test_the_exceptions_still_need_their_core(tmp_path: Path) -> None:
    """So that LOADS_CORES is dropped when it stops being true."""
    for name in LOADS_CORES:
        assert "numba" in modules_after(tmp_path, name, "--help")


def test_the_table_lists_each_commands_own_help() -> None:
    group = typer.main.get_group(root)
    assert set(group.commands) == set(COMMANDS)
    for name, command in COMMANDS.items():
        text = inspect.cleandoc(group.commands[name].help or "")
        first_paragraph = " ".join(text.split("\n\n")[0].split())
        assert command.help == first_paragraph, name


def test_version_is_the_installed_distributions() -> None:
    result = CliRunner().invoke(root, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"deconflict {importlib.metadata.version('deconflict')}\n"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], None),
        (["--help"], None),
        (["--version"], None),
        (["notice", "--help"], "notice"),
        (["--help", "plan", "check"], "plan"),
        (["log", "verify", "--data-dir", "x"], "log"),
    ],
)
def test_named_command_is_the_first_word_not_an_option(args: list[str], named: str | None) -> None:
    assert named_command(args) == named
