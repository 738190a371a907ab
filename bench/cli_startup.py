"""Start-up of the `deconflict` command: wall time and peak memory of what people type first.

    .venv/bin/python bench/cli_startup.py                          # 10 repetitions
    .venv/bin/python bench/cli_startup.py --quick                  # 3 repetitions (a few seconds)
    .venv/bin/python bench/cli_startup.py --before ../main/src     # and another tree, same run

Each case runs in a fresh interpreter (this one, `sys.executable`), as the console script
would: `deconflict --version`, `deconflict --help` and a client command's `deconflict notice
--help`, with PYTHONPATH set to the tree under test (`--tree`, default this checkout's `src`)
and, with `--before TREE`, to another tree on the same cases. References in the same run:
`python -c pass` (the interpreter alone), a one-command Typer app's `--help` (what any Typer
command line pays: typer, its click, rich to draw the help) and a Typer app's `sub --help` for
a group `sub` (what a sub-command's help pays on top: Typer coerces the root's options through
pydantic before the sub-command reads `--help`). The repetitions are interleaved: each runs
every case once, in a fresh random order, after one warm-up round that is not counted, so load
from elsewhere on the machine falls on all cases alike.

Printed per case: median and fastest wall time (spawn to exit), and the child's peak RSS
(ru_maxrss from `os.wait4` for that child alone: `getrusage(RUSAGE_CHILDREN)` would keep the
largest child so far), largest over the repetitions; the exit status if not 0 (a tree without
`--version` exits 2). Linux counts in a child's peak the memory it shared with this process
until it exec'd, so a child smaller than this process reads as this process's size: such a
figure is marked `<=`. Target: every `deconflict` case under 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TARGET_S = 0.3
ENTRY = "from deconflict.cli import main; main()"
TYPER_COMMAND = '''
import typer
app = typer.Typer(add_completion=False)
@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(name)
app()
'''
TYPER_GROUP = '''
import typer
app = typer.Typer(add_completion=False)
sub = typer.Typer(help="A group.")
@sub.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(name)
app.add_typer(sub, name="sub")
app()
'''


@dataclass
class Case:
    label: str
    argv: list[str]
    pythonpath: str | None = None
    checked: bool = False
    """Whether the case counts towards the target."""
    walls_s: list[float] = field(default_factory=list)
    rss_kib: int = 0
    status: int = 0
    bounded: bool = False
    """Whether the peak is only an upper bound (not above this process's own, see above)."""
    floor: Case | None = None
    """The Typer reference this case cannot be faster than."""


def run_once(case: Case) -> None:
    env = dict(os.environ)
    if case.pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [case.pythonpath, env.get("PYTHONPATH")]))
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(case.argv[0], case.argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    case.walls_s.append(time.perf_counter() - start)
    case.rss_kib = max(case.rss_kib, usage.ru_maxrss)
    case.bounded = case.rss_kib <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    case.status = os.waitstatus_to_exitcode(status)


def deconflict_cases(
    label: str, tree: Path, floors: tuple[Case, Case], *, checked: bool
) -> list[Case]:
    """`--version` and `--help` against the one-command floor, `notice --help` the group's."""
    argv = [sys.executable, "-c", ENTRY]
    command, group = floors
    return [
        Case(f"{label}: deconflict {' '.join(args)}", argv + args, str(tree), checked, floor=floor)
        for args, floor in (
            (["--version"], command),
            (["--help"], command),
            (["notice", "--help"], group),
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions instead of 10")
    parser.add_argument("--repetitions", type=int, default=10)
    here = Path(__file__).resolve().parents[1] / "src"
    parser.add_argument("--tree", type=Path, default=here, help="the src directory to measure")
    parser.add_argument("--before", type=Path, help="another src directory, on the same cases")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    repetitions = 3 if args.quick else args.repetitions
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        command_app, group_app = Path(tmp, "typer_command.py"), Path(tmp, "typer_group.py")
        command_app.write_text(TYPER_COMMAND)
        group_app.write_text(TYPER_GROUP)
        floors = (
            Case(
                "reference: Typer, one command: --help",
                [sys.executable, str(command_app), "--help"],
            ),
            Case(
                "reference: Typer, one group: sub --help",
                [sys.executable, str(group_app), "sub", "--help"],
            ),
        )
        cases = [
            Case("reference: python -c pass", [sys.executable, "-c", "pass"]),
            *floors,
            *deconflict_cases("this tree", args.tree, floors, checked=True),
        ]
        if args.before is not None:
            cases += deconflict_cases("before", args.before, floors, checked=False)
        for case in cases:  # warm-up: page cache, .pyc files
            run_once(case)
            case.walls_s.clear()
            case.rss_kib = 0
        for _ in range(repetitions):
            for case in rng.sample(cases, len(cases)):
                run_once(case)

    print(
        f"deconflict start-up: {repetitions} interleaved repetitions, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  tree: {args.tree}" + (f"; before: {args.before}" if args.before else ""))
    own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {'case':48s} {'median':>8s} {'fastest':>8s} {'peak RSS':>11s}")
    for case in cases:
        note = f"  exit {case.status}" if case.status else ""
        if case.floor is not None:
            over_s = statistics.median(case.walls_s) - statistics.median(case.floor.walls_s)
            note += f"  {over_s * 1000:+5.0f} ms on its floor"
        if case.checked:
            met = statistics.median(case.walls_s) < TARGET_S
            note += f"  target < {TARGET_S:g} s: {'met' if met else 'NOT met'}"
        bound = "<=" if case.bounded else "  "
        print(
            f"  {case.label:48s} {statistics.median(case.walls_s):7.3f}s "
            f"{min(case.walls_s):7.3f}s {bound}{case.rss_kib / 1024:7.1f}MB{note}"
        )
    print(f"  (this process: {own_mb:.1f} MB)")


if __name__ == "__main__":
    main()
