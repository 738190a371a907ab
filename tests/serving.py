"""`deconflict serve` in a child process, for tests that talk to a real server over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ADMIN_TOKEN = "serve-test-admin-token-0123456789"


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`deconflict serve` in a child process on a free port of 127.0.0.1; its first stdout line
    (text, or the JSON record with the URL) and the process. Stopped (SIGTERM) on exit.

    Stderr goes to `tmp_path/serve.stderr`, so stdout is the one pipe; read the rest of it with
    `rest_of_stdout`."""
    command = [sys.executable, "-c", "from deconflict.cli import main; main()", "serve"]
    command += ["--port", "0", "--data-dir", str(tmp_path / "data"), "--admin-token", ADMIN_TOKEN]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (tmp_path / "serve.stderr").open("w") as stderr:
        child = subprocess.Popen(
            [*command, *args], stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
        )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first, (tmp_path / "serve.stderr").read_text() or "no output"
        yield child, first
    finally:
        if child.poll() is None:
            child.terminate()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()


def rest_of_stdout(child: subprocess.Popen[str]) -> str:
    """Stdout after the first line, once the child has exited. Not `communicate(timeout=...)`:
    with a timeout it reads the pipe's file descriptor itself, past the buffer `readline` filled,
    and loses the lines that arrived with the first one (as they do on a busy machine)."""
    child.wait(timeout=30)
    assert child.stdout is not None
    return child.stdout.read()
