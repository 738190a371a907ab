"""`deconflict serve`: its flags reach the server it builds, and bad ones exit 2 before anything
listens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
