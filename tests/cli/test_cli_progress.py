"""The CLI's progress bars: drawn on stderr when it is a terminal, nowhere otherwise.

The commands that draw them are tested in their own files (plan check in test_cli_plan.py, log
verify and bundle export in test_cli_record.py); the callbacks' counts in the cores' and the
service's tests."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace

import pytest
from rich.progress import Progress

from deconflict.cli import progress
from deconflict.cli.progress import UPDATE_INTERVAL_S, progress_bars, stderr_is_terminal


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def as_terminal(monkeypatch: pytest.MonkeyPatch) -> FakeTerminal:
    """stderr, for the rest of the test, as a terminal that records what is drawn on it (in
    the test itself: pytest puts its own capture back between a fixture and the test)."""
    fake = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.setenv("TERM", "xterm-256color")
    return fake


def test_off_a_terminal_there_are_no_bars_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not stderr_is_terminal()
    with progress_bars() as bar:
        assert bar("reading") is None
    assert capsys.readouterr() == ("", "")


def test_a_command_printing_for_a_program_turns_them_off_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = as_terminal(monkeypatch)
    assert stderr_is_terminal()
    with progress_bars(enabled=False) as bar:
        assert bar("reading") is None
    assert terminal.getvalue() == ""


def test_a_dumb_terminal_gets_no_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = as_terminal(monkeypatch)
    monkeypatch.setenv("TERM", "dumb")
    assert not stderr_is_terminal()
    with progress_bars() as bar:
        assert bar("reading") is None
    assert terminal.getvalue() == ""


def test_on_a_terminal_bars_draw_on_stderr_and_nothing_on_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = as_terminal(monkeypatch)
    with progress_bars() as bar:
        reading, checking = bar("reading volumes"), bar("checking volumes")
        assert reading is not None
        assert checking is not None
        for done in range(41):
            reading(done, 40)
        checking(0, 7)
    drawn = terminal.getvalue()
    assert "reading volumes" in drawn
    assert "40/40" in drawn
    assert "checking volumes" in drawn
    assert "0/7" in drawn
    assert capsys.readouterr().out == ""


def test_a_bar_takes_the_first_update_then_one_per_interval_and_the_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    as_terminal(monkeypatch)
    now = [100.0]
    monkeypatch.setattr(progress, "time", SimpleNamespace(monotonic=lambda: now[0]))
    taken: list[tuple[int, int]] = []
    update = Progress.update

    def spy(self: Progress, task_id: object, **fields: int) -> None:
        taken.append((fields["completed"], fields["total"]))
        update(self, task_id, **fields)

    monkeypatch.setattr(Progress, "update", spy)
    with progress_bars() as bar:
        checking = bar("checking")
        assert checking is not None
        checking(0, 100)
        now[0] += UPDATE_INTERVAL_S / 2
        checking(1, 100)
        now[0] += UPDATE_INTERVAL_S
        checking(2, 100)
        for done in range(3, 101):
            checking(done, 100)
    assert taken == [(0, 100), (2, 100), (100, 100)]
