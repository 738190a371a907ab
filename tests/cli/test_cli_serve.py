"""`deconflict serve`: its flags reach the server it builds, and bad ones exit 2 before anything
listens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from deconflict.cli import root
from deconflict.cli.serve import ServerOptions, build_server
from deconflict.service import Service


def run(*args: str) -> Any:
    return CliRunner().invoke(root, list(args), catch_exceptions=False)


def test_the_options_reach_the_app_and_uvicorn_trusts_no_proxy_itself(service: Service) -> None:
    options = ServerOptions(
        auth_fail_limit=7, trusted_proxies=("10.0.0.0/8",), metrics_token="m" * 16
    )
    server = build_server(service, options)
    app: Any = server.config.app
    assert app.state.auth_limiter.limit == 7
    assert app.state.metrics_token == "m" * 16
    assert server.config.proxy_headers is False
    assert build_server(service, ServerOptions()).config.app.state.auth_limiter.limit == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trusted-proxy", "proxy.example"), "--trusted-proxy: 'proxy.example' is not an IP"),
        (("--auth-fail-limit", "-1"), "--auth-fail-limit"),
        (("--metrics-token", "short"), "--metrics-token must have at least 16 characters"),
    ],
)
def test_bad_flags_exit_2_before_listening(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    result = run("serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "data").exists()


ADMIN_TOKEN = "serve-test-admin-token-0123456789"


@contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`deconflict serve` in a child process on a free port of 127.0.0.1; its first stdout line
    (text, or the JSON record with the URL) and the process. Stopped (SIGTERM) on exit."""
    command = [sys.executable, "-c", "from deconflict.cli import main; main()", "serve"]
    command += ["--port", "0", "--data-dir", str(tmp_path / "data"), "--admin-token", ADMIN_TOKEN]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first, child.stderr.read() if child.stderr else "no output"
        yield child, first
    finally:
        if child.poll() is None:
            child.terminate()
        child.wait(timeout=30)


def test_json_logs_are_one_object_per_line_with_the_request_fields(tmp_path: Path) -> None:
    with serving(tmp_path, "--log-format", "json") as (child, first):
        started = json.loads(first)
        url = started["url"]
        assert started["logger"] == "deconflict.serve"
        assert started["time"].endswith("Z")
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert httpx.get(f"{url}/parties", headers=headers, timeout=10).status_code == 200
        child.terminate()
        out, err = child.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/health", 200),
        ("GET", "/parties", 200),
    ]
    assert access[0]["client"].startswith("127.0.0.1:")
    assert {line["message"] for line in lines if line["logger"] == "deconflict.serve"} >= {
        f"database: sqlite:///{(tmp_path / 'data' / 'deconflict.db').resolve()}"
    }
    assert ADMIN_TOKEN not in out + err
    for line in err.splitlines():
        assert json.loads(line)["logger"].startswith(("uvicorn", "deconflict"))


def test_text_logs_stay_as_they_were(tmp_path: Path) -> None:
    with serving(tmp_path) as (child, first):
        assert first.startswith("deconflict serving on http://127.0.0.1:")
        url = first.split()[3]
        assert httpx.get(f"{url}/health", timeout=10).status_code == 200
        child.terminate()
        out, _ = child.communicate(timeout=30)
    assert '"GET /health HTTP/1.1" 200' in out
