"""`deconflict party token rotate|revoke` against a real server (uvicorn in a thread)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from deconflict.api import create_app
from deconflict.cli import root
from deconflict.service import ADMIN, Service

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"


@pytest.fixture
def url(service: Service) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(
        uvicorn.Config(create_app(service), log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def run(*args: str) -> Any:
    return CliRunner().invoke(root, list(args), catch_exceptions=False)


def _status(url: str, token: str) -> int:
    return httpx.get(f"{url}/parties", headers={"Authorization": f"Bearer {token}"}).status_code


def test_rotate_prints_the_new_token_and_the_old_one_stops(url: str, service: Service) -> None:
    _, old = service.add_party(ADMIN, "North", party_id="north")
    result = run("party", "token", "rotate", "north", "--url", url, "--token", old)
    assert result.exit_code == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("token: ")]
    new = line.removeprefix("token: ")
    assert len(new) == 43
    assert (_status(url, old), _status(url, new)) == (401, 200)

    as_json = run(
        "party", "token", "rotate", "north", "--url", url, "--token", ADMIN_TOKEN, "--json"
    )
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["party_id"] == "north"
    assert _status(url, new) == 401


def test_revoke_needs_the_admin_and_refuses_the_party_afterwards(
    url: str, service: Service
) -> None:
    _, token = service.add_party(ADMIN, "North", party_id="north")
    refused = run("party", "token", "revoke", "north", "--url", url, "--token", token)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: only the admin may do this")
    result = run("party", "token", "revoke", "north", "--url", url, "--token", ADMIN_TOKEN)
    assert result.exit_code == 0, result.stderr
    assert "revoked the token of north" in result.stdout
    assert _status(url, token) == 401
    unknown = run("party", "token", "revoke", "nobody", "--url", url, "--token", ADMIN_TOKEN)
    assert unknown.exit_code == 2
    assert "not found" in unknown.stderr
