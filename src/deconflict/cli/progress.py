"""Progress bars for the long commands: on stderr, and only when stderr is a terminal.

    with progress_bars(enabled=not as_json) as bar:
        volumes = read_plan(document, progress=bar("reading volumes"))
        conflicts = conflicts_among(volumes, buffers, progress=bar("checking volumes"))

`bar(description)` adds a bar and returns the `progress(done, total)` callback the service and
the cores take (`service/contract.md`), or None when bars are off: stderr is not a terminal (a
pipe, a file, CI), TERM is dumb, or the caller turned them off (output for a program, such as
`--json`). Off, nothing is written anywhere and Rich is not even imported. On, each bar draws on
stderr, so stdout holds only the command's output, and all of them are erased when the block
ends, before the command prints its result.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["Bars", "ProgressCallback", "progress_bars", "stderr_is_terminal"]

ProgressCallback = Callable[[int, int], None]
"""(done, total), as the service and the cores call it."""
Bars = Callable[[str], ProgressCallback | None]
"""Adds a bar with the description; its callback, or None when bars are off."""

UPDATE_INTERVAL_S = 0.05
"""A bar takes at most one update per interval (and the last): a callback per log entry would
otherwise cost more than the check it reports on."""


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal that can redraw a line."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty()) and os.environ.get("TERM") != "dumb"


def _off(description: str) -> None:
    return None


@contextmanager
def progress_bars(*, enabled: bool = True) -> Iterator[Bars]:
    """Bars for the block's long steps (see the module)."""
    if not enabled or not stderr_is_terminal():
        yield _off
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr, force_terminal=True),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as progress:

        def bar(description: str) -> ProgressCallback:
            return _Bar(progress, progress.add_task(description, total=None))

        yield bar


class _Bar:
    """One bar's callback: passes (done, total) on at most every UPDATE_INTERVAL_S."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task
        self._last = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < UPDATE_INTERVAL_S:
            return
        self._last = now
        self._progress.update(self._task, completed=done, total=total)
