"""The command line against a real server (uvicorn in a thread over the test service)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from deconflict.api import create_app
from deconflict.cli import root
from deconflict.clock import FakeClock
from deconflict.service import Service

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"
"""The admin token of the suite-wide `service` fixture (tests/conftest.py)."""


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


def ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _feature(clock: FakeClock, lat: float = 10.0) -> dict[str, Any]:
    start = clock.now() + timedelta(hours=3)
    ring = [[30.0, lat], [30.2, lat], [30.2, lat + 0.2], [30.0, lat + 0.2], [30.0, lat]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "alt_lower_m": 0,
            "alt_upper_m": 1000,
            "time_start": start.isoformat(),
            "time_end": (start + timedelta(hours=1)).isoformat(),
        },
    }


@pytest.fixture
def setup(url: str) -> dict[str, str]:
    """Two parties and an agreement, made with the CLI itself; their tokens."""
    tokens = {}
    for name, party_id in (("North", "north"), ("South", "south")):
        out = ok(
            "party", "add", name, "--id", party_id, "--url", url, "--token", ADMIN_TOKEN, "--json"
        )
        tokens[party_id] = json.loads(out.stdout)["token"]
    ok(
        "agreement",
        "add",
        "--name",
        "NS",
        "--member",
        "north",
        "--member",
        "south",
        "--id",
        "ns",
        "--ack-deadline",
        "600",
        "--buffer-h",
        "1000",
        "--url",
        url,
        "--token",
        ADMIN_TOKEN,
    )
    return tokens


def test_help_lists_the_commands() -> None:
    out = ok("--help").stdout
    for command in ("serve", "demo", "party", "agreement", "notice"):
        assert command in out


def test_party_add_prints_the_token_once(url: str) -> None:
    out = ok("party", "add", "Northern Air Command", "--url", url, "--token", ADMIN_TOKEN).stdout
    assert "Northern Air Command" in out
    [token_line] = [line for line in out.splitlines() if line.startswith("token: ")]
    assert len(token_line.removeprefix("token: ")) == 43


def test_agreement_add_sends_the_terms(url: str, setup: dict[str, str]) -> None:
    out = ok("agreement", "list", "--url", url, "--token", setup["north"], "--json").stdout
    [agreement] = json.loads(out)
    assert (agreement["id"], agreement["members"]) == ("ns", ["north", "south"])
    assert (agreement["ack_deadline_s"], agreement["buffer_h_m"]) == (600, 1000)
    assert agreement["min_lead_time_s"] == 3600


def test_submit_list_and_ack(
    url: str, setup: dict[str, str], tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "op.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature(clock)]}))
    north = ["--url", url, "--token", setup["north"]]
    south = ["--url", url, "--token", setup["south"]]
    out = ok(
        "notice", "submit", str(path), "--agreement", "ns", "--purpose", "drill", *north, "--json"
    )
    notice = json.loads(out.stdout)
    assert (notice["purpose"], notice["state"]) == ("drill", "submitted")
    table = ok("notice", "list", "--role", "recipient", *south).stdout
    assert notice["id"] in table
    assert table.splitlines()[0].split()[:3] == ["ID", "VER", "STATE"]
    acked = json.loads(ok("notice", "ack", notice["id"], "--text", "ok", *south, "--json").stdout)
    assert (acked["version"], acked["party"], acked["text"]) == (1, "south", "ok")
    shown = json.loads(ok("notice", "show", notice["id"], *north, "--json").stdout)
    assert shown["state"] == "acknowledged"
    again = run("notice", "ack", notice["id"], *south)
    assert again.exit_code == 2
    assert again.stderr.startswith("error: already acknowledged")


def test_a_single_feature_file_is_accepted(
    url: str, setup: dict[str, str], tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(_feature(clock)))
    ok("notice", "submit", str(path), "--agreement", "ns", "--url", url, "--token", setup["north"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "error: cannot read {path}"),
        ("{not json", "error: {path} is not valid JSON"),
        ('{"type": "Point"}', "error: {path} must hold a GeoJSON Feature or FeatureCollection"),
        ("LAT95", "(at /features/0/geometry/coordinates/0/2/1)"),
        ("NAIVE", "(at /features/0/properties/time_start)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    url: str,
    setup: dict[str, str],
    tmp_path: Path,
    clock: FakeClock,
    content: str | None,
    expected: str,
) -> None:
    path = tmp_path / "bad.geojson"
    feature = _feature(clock)
    if content == "LAT95":
        feature["geometry"]["coordinates"][0][2][1] = 95.0
        content = json.dumps({"type": "FeatureCollection", "features": [feature]})
    elif content == "NAIVE":
        feature["properties"]["time_start"] = "2030-01-01T00:00:00"
        content = json.dumps({"type": "FeatureCollection", "features": [feature]})
    if content is not None:
        path.write_text(content)
    result = run(
        "notice", "submit", str(path), "--agreement", "ns", "--url", url, "--token", setup["north"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert expected.format(path=path) in result.stderr


def test_problem_responses_are_one_line(url: str, setup: dict[str, str]) -> None:
    result = run("notice", "list", "--url", url, "--token", "wrong-token")
    assert (result.exit_code, result.stderr) == (2, "error: unknown or revoked token\n")
    result = run(
        "agreement",
        "add",
        "--name",
        "x",
        "--member",
        "north",
        "--member",
        "nobody",
        "--url",
        url,
        "--token",
        ADMIN_TOKEN,
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "(at /members/1)" in result.stderr


def test_an_unreachable_server_is_exit_1() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = run("notice", "list", "--url", f"http://127.0.0.1:{port}", "--token", "t")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach")
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_refuses_a_short_admin_token(tmp_path: Path) -> None:
    result = run("serve", "--data-dir", str(tmp_path), "--admin-token", "short", "--port", "0")
    assert result.exit_code == 2
    assert result.stderr == "error: --admin-token must have at least 16 characters\n"


def test_demo_refuses_to_wipe_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = run("demo", "--data-dir", str(tmp_path), "--port", "0", "--exit-after", "0")
    assert result.exit_code == 2
    assert "refusing to delete it" in result.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--ack-deadline", "1e308"),
        ("--min-lead-time", "-1"),
        ("--escalate-after", "2592001"),
        ("--buffer-h", "1000001"),
        ("--buffer-v", "10001"),
    ],
)
def test_agreement_add_refuses_terms_past_their_bounds_before_sending(
    option: str, value: str
) -> None:
    """The same bounds as the API's (limits), checked before anything is sent: port 9 of
    the loopback address answers nothing."""
    result = run(
        "agreement", "add", "--name", "x", "--member", "a", "--member", "b", option, value,
        "--url", "http://127.0.0.1:9", "--token", "t" * 20,
    )  # fmt: skip
    assert result.exit_code == 2, result.stdout
    assert f"Invalid value for '{option}'" in result.stderr
